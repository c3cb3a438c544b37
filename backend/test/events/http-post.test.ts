import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from '../../src/events/http-post';

describe('webhook POST client', () => {
  let server: http.Server;
  let url: string;
  const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        if (req.url === '/hang') return; // never answers
        if (req.url === '/redirect') return void res.writeHead(302, { location: '/elsewhere' }).end();
        res.writeHead(500).end('x'.repeat(10_000));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up when no answer arrives within the timeout', async () => {
    await expect(postJson(`${url}/hang`, '{}', {}, 200)).rejects.toMatchObject({ name: expect.stringMatching(/AbortError|TimeoutError/) });
  });

  it('does not follow redirects, keeps only the start of a long answer, sends JSON with the given headers', async () => {
    expect(await postJson(`${url}/redirect`, '{"a":1}', { 'x-metabot-event': 'bot.started' }, 5_000)).toMatchObject({ status: 302 });
    const failed = await postJson(`${url}/fail`, '{"a":1}', {}, 5_000);
    expect(failed.status).toBe(500);
    expect(failed.text.length).toBeLessThanOrEqual(4096);
    expect(seen.find((s) => s.headers['x-metabot-event'] === 'bot.started')).toMatchObject({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  });
});
