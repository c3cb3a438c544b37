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

/** What came back: the status and, when asked for, the body's first `keepBody` bytes. */
export interface PostResponse {
  statusCode: number;
  body: string | null;
  /** The body was longer than `keepBody` (what was kept is cut there). */
  truncated: boolean;
}

export interface PostOptions {
  timeoutMs: number;
  targets: TargetConfig;
  /** Keep up to this many bytes of the answer's body; by default it is read and dropped. */
  keepBody?: number;
  signal?: AbortSignal;
}

/**
 * POSTs a JSON body to an allowed target; resolves once the whole answer arrived (its body is read
 * and dropped unless `keepBody` asks for it: a target's words are shown to nobody but the caller
 * who answers with them), rejects on a refused target (TargetNotAllowedError), a network error or
 * when nothing complete arrives within `timeoutMs` (error name TimeoutError). Redirects are not
 * followed. node:http rather than fetch: a fraction of the CPU per request at webhook rates.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResponse> {
  const target = new URL(url);
  const problem = targetUrlProblem(target, options.targets);
  // Checked again at send time: a row stored before the check existed, or under another configuration.
  if (problem) throw new TargetNotAllowedError(`${target.host} ${problem}`);
  const agent = agents[privateAllowedFor(target, options.targets) ? 'private' : 'public'][target.protocol as 'http:' | 'https:'];
  try {
    return await postOnce(target, agent, body, headers, options);
  } catch (err) {
    // A kept-alive socket the subscriber closed meanwhile (n8n restarted): once more on a fresh one.
    if ((err as { staleSocket?: boolean }).staleSocket) return postOnce(target, agent, body, headers, options);
    throw err;
  }
}

function postOnce(target: URL, agent: http.Agent, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResponse> {
  const transport = target.protocol === 'https:' ? https : http;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return new Promise((resolve, reject) => {
    const request = transport.request(target, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'metabot-backend', ...headers },
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
    request.on('error', (err: Error & { code?: string }) => {
      reject(request.reusedSocket && err.code === 'ECONNRESET' ? Object.assign(err, { staleSocket: true }) : err);
    });
    request.on('response', (response) => {
      const keep = options.keepBody ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      response.on('error', reject);
      response.on('data', (chunk: Buffer) => {
        if (kept >= keep) return void (truncated ||= keep > 0);
        chunks.push(chunk.subarray(0, keep - kept));
        truncated ||= chunk.length > keep - kept;
        kept += Math.min(chunk.length, keep - kept);
      });
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: keep > 0 ? Buffer.concat(chunks).toString('utf8') : null, truncated }));
    });
    request.end(body);
  });
}

/** How one POST went, in words safe to show the token holder who chose the URL. */
export interface PostOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  /** The kept part of the answer's body (only with `keepBody`). */
  body?: string | null;
  truncated?: boolean;
}

/**
 * POSTs a webhook or resume call (DELIVERY_TIMEOUT_MS). The outcome names the status code or one of
 * two generic reasons: a refused and a timed-out connection read the same, so the URL's author
 * cannot map ports or hosts by the answers; the details go to the server log only.
 */
export async function postToTarget(
  ctx: Pick<AppContext, 'config' | 'logger'>,
  url: string,
  body: string,
  headers: Record<string, string>,
  options: Partial<Omit<PostOptions, 'targets'>> = {},
): Promise<PostOutcome> {
  try {
    const response = await postJson(url, body, headers, { timeoutMs: DELIVERY_TIMEOUT_MS, ...options, targets: ctx.config });
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    return { ok, statusCode: response.statusCode, error: ok ? null : `HTTP ${response.statusCode}`, body: response.body, truncated: response.truncated };
  } catch (err) {
    const error = err as Error & { code?: string };
    // The host only: a URL's path and query may carry a webhook's secret token.
    ctx.logger.warn({ host: URL.canParse(url) ? new URL(url).host : undefined, code: error.code ?? error.name, reason: error.message }, 'POST to a webhook target failed');
    return { ok: false, statusCode: null, error: err instanceof TargetNotAllowedError ? 'address not allowed' : 'connection refused or timed out' };
  }
}
