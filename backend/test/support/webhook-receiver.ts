import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as the receiver got it. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: any;
}

/** What the receiver answers a request with (n8n holding the request until Respond to Webhook, a broken workflow…). */
export interface ReceiverAnswer {
  status?: number;
  body?: string;
  contentType?: string;
  /** Answer only after this long (a workflow that takes its time). */
  delayMs?: number;
}

/** A real HTTP server standing in for n8n: records every request and answers with `status` (settable), or with what `respond` says. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  status: number;
  /** When set, decides each answer (its status defaults to `status`). */
  respond?: (request: ReceivedRequest) => ReceiverAnswer;
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Stops listening (callers get connection refused) until `up()`; the port is kept. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  let port = 0;
  const state: { status: number; respond?: (request: ReceivedRequest) => ReceiverAnswer } = { status: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = rawBody;
      try {
        body = JSON.parse(rawBody);
      } catch {
        // not JSON: keep the text
      }
      const request = { path: req.url ?? '/', headers: req.headers, rawBody, body };
      received.push(request);
      waiters.splice(0).forEach((notify) => notify());
      const answer = state.respond?.(request) ?? {};
      const status = answer.status ?? state.status;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': answer.contentType ?? (answer.body === undefined ? 'text/plain' : 'application/json') });
        res.end(answer.body ?? (status < 300 ? 'ok' : 'receiver says no'));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  const listen = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen();
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    get respond() {
      return state.respond;
    },
    set respond(value) {
      state.respond = value;
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} webhook requests, got ${received.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received.slice(0, count);
    },
    down: stop,
    up: listen,
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
