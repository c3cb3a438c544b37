import http from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent as is: no normalisation of `..`, `%` sequences or repeated slashes. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * node:http rather than fetch: fetch refuses a body on GET, normalises paths and rejects some
 * header values, all of which a hostile client may send.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers: { ...request.headers, ...(request.body ? { 'content-length': String(request.body.length) } : {}) }, agent },
      (res) => {
        // A stream that stays open (the web chat's server-sent events): its head is the answer.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
          return void req.destroy();
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // An answer that never comes is a finding (a stalled process), not a test that hangs.
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer within 20 s: ${request.method} ${request.path.slice(0, 200)}`)));
    req.end(request.body);
  });
}

export function closeRawAgent(): void {
  agent.destroy();
}
