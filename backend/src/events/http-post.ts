import http from 'node:http';
import https from 'node:https';

/** Keep-alive agents: a subscriber receives many webhooks, one connection setup is enough. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export interface PostAnswer {
  status: number;
  text: string;
}

/** Largest part of an answer body kept (for the delivery's last_error). */
const MAX_ANSWER_BYTES = 4096;

/**
 * POSTs a JSON body; resolves with the status and the start of the answer, rejects on a network
 * error or when nothing complete arrives within `timeoutMs` (error name TimeoutError). Redirects are
 * not followed. node:http rather than fetch: a fraction of the CPU per request at webhook rates.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostAnswer> {
  try {
    return await postOnce(url, body, headers, timeoutMs);
  } catch (err) {
    // A kept-alive socket the subscriber closed meanwhile (n8n restarted): once more on a fresh one.
    if ((err as { staleSocket?: boolean }).staleSocket) return postOnce(url, body, headers, timeoutMs);
    throw err;
  }
}

function postOnce(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostAnswer> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(target, {
      method: 'POST',
      agent: agents[target.protocol as keyof typeof agents],
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'metabot-backend', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.on('error', (err: Error & { code?: string }) => {
      reject(request.reusedSocket && err.code === 'ECONNRESET' ? Object.assign(err, { staleSocket: true }) : err);
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept < MAX_ANSWER_BYTES) chunks.push(chunk);
        kept += chunk.length;
      });
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES) }));
    });
    request.end(body);
  });
}
