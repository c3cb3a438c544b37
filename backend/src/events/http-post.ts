import http from 'node:http';
import https from 'node:https';
import type { AppContext } from '../platform/context';
import { guardedLookup, privateAllowedFor, type TargetConfig, TargetNotAllowedError, targetUrlProblem } from '../platform/http/outbound-target';
import { DELIVERY_TIMEOUT_MS } from './retry-schedule';

/**
 * Keep-alive agents: a subscriber receives many webhooks, one connection setup is enough. Their
 * lookup checks each resolved address as the socket connects. One pair lets private addresses
 * through (targets the operator allowed) and one does not, so a kept-alive socket only ever
 * serves targets of the kind it was checked for, whatever the configuration of the process's servers.
 */
function agentsFor(privateAllowed: boolean) {
  const options = { keepAlive: true, maxSockets: 64, lookup: guardedLookup(privateAllowed) };
  return { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };
}
const agents = { public: agentsFor(false), private: agentsFor(true) };

/**
 * POSTs a JSON body to an allowed target; resolves with the status once the whole answer arrived
 * (its body is read and dropped: a target's words are never shown to anyone), rejects on a refused
 * target (TargetNotAllowedError), a network error or when nothing complete arrives within
 * `timeoutMs` (error name TimeoutError). Redirects are not followed. node:http rather than fetch:
 * a fraction of the CPU per request at webhook rates.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; targets: TargetConfig }): Promise<number> {
  const target = new URL(url);
  const problem = targetUrlProblem(target, options.targets);
  // Checked again at send time: a row stored before the check existed, or under another configuration.
  if (problem) throw new TargetNotAllowedError(`${target.host} ${problem}`);
  const agent = agents[privateAllowedFor(target, options.targets) ? 'private' : 'public'][target.protocol as 'http:' | 'https:'];
  try {
    return await postOnce(target, agent, body, headers, options.timeoutMs);
  } catch (err) {
    // A kept-alive socket the subscriber closed meanwhile (n8n restarted): once more on a fresh one.
    if ((err as { staleSocket?: boolean }).staleSocket) return postOnce(target, agent, body, headers, options.timeoutMs);
    throw err;
  }
}

function postOnce(target: URL, agent: http.Agent, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(target, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'metabot-backend', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.on('error', (err: Error & { code?: string }) => {
      reject(request.reusedSocket && err.code === 'ECONNRESET' ? Object.assign(err, { staleSocket: true }) : err);
    });
    request.on('response', (response) => {
      response.on('error', reject);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    request.end(body);
  });
}

/** How one POST went, in words safe to show the token holder who chose the URL. */
export interface PostOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * POSTs a webhook or resume call (DELIVERY_TIMEOUT_MS). The outcome names the status code or one of
 * two generic reasons: a refused and a timed-out connection read the same, so the URL's author
 * cannot map ports or hosts by the answers; the details go to the server log only.
 */
export async function postToTarget(ctx: Pick<AppContext, 'config' | 'logger'>, url: string, body: string, headers: Record<string, string>): Promise<PostOutcome> {
  try {
    const status = await postJson(url, body, headers, { timeoutMs: DELIVERY_TIMEOUT_MS, targets: ctx.config });
    const ok = status >= 200 && status < 300;
    return { ok, statusCode: status, error: ok ? null : `HTTP ${status}` };
  } catch (err) {
    const error = err as Error & { code?: string };
    // The host only: a URL's path and query may carry a webhook's secret token.
    ctx.logger.warn({ host: URL.canParse(url) ? new URL(url).host : undefined, code: error.code ?? error.name, reason: error.message }, 'POST to a webhook target failed');
    return { ok: false, statusCode: null, error: err instanceof TargetNotAllowedError ? 'address not allowed' : 'connection refused or timed out' };
  }
}
