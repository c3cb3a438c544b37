import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A CRM that receives the workflow's callbacks: records every JSON POST and answers 200. */
export async function startCrmStandin(): Promise<{ url: string; received: Array<{ path: string; body: any }>; close(): Promise<void> }> {
  const received: Array<{ path: string; body: any }> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: raw ? JSON.parse(raw) : null });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
