import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from '../../src/events/http-post';
import { TargetNotAllowedError } from '../../src/platform/http/outbound-target';

/** The stand-in listens on 127.0.0.1: allowed here as an operator would allow a local n8n. */
const targets = { WEBHOOK_ALLOW_PRIVATE: true, WEBHOOK_ALLOWED_HOSTS: [] };

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
    await expect(postJson(`${url}/hang`, '{}', {}, { timeoutMs: 200, targets })).rejects.toMatchObject({ name: expect.stringMatching(/AbortError|TimeoutError/) });
  });

  it('does not follow redirects, reads a long answer to its end, sends JSON with the given headers', async () => {
    expect(await postJson(`${url}/redirect`, '{"a":1}', { 'x-metabot-event': 'bot.started' }, { timeoutMs: 5_000, targets })).toMatchObject({ statusCode: 302 });
    expect(await postJson(`${url}/fail`, '{"a":1}', {}, { timeoutMs: 5_000, targets })).toMatchObject({ statusCode: 500 });
    expect(seen.find((s) => s.headers['x-metabot-event'] === 'bot.started')).toMatchObject({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  });
});

describe('webhook POST client, private targets not allowed', () => {
  const strict = { WEBHOOK_ALLOW_PRIVATE: false, WEBHOOK_ALLOWED_HOSTS: [] };

  it('refuses IP literals before connecting (net connects to those without a lookup)', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://[::ffff:7f00:1]:9/x', 'http://[fd00:ec2::254]/x']) {
      await expect(postJson(url, '{}', {}, { timeoutMs: 1_000, targets: strict })).rejects.toBeInstanceOf(TargetNotAllowedError);
    }
  });

  it('lets a listed host:port through, resolved by the guarded lookup', async () => {
    const server = http.createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const listed = { WEBHOOK_ALLOW_PRIVATE: false, WEBHOOK_ALLOWED_HOSTS: [{ host: 'localhost', port }] };
      expect(await postJson(`http://localhost:${port}/x`, '{}', {}, { timeoutMs: 5_000, targets: listed })).toMatchObject({ statusCode: 204 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
