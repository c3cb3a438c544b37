import { Writable } from 'node:stream';
import { dialect, startTestBackend } from '../support/test-backend';

/** Every line the backend logs, as it would reach stdout. */
function logCapture(): { stream: Writable; lines: () => Array<Record<string, any>> } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => void (chunks.push(String(chunk)), done()) });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

describe(`the request log (${dialect})`, () => {
  it('keeps link tokens and other secret query parameters out of the access log, and the rest of the URL in it', async () => {
    const log = logCapture();
    const backend = await startTestBackend({ env: { LOG_LEVEL: 'info', SECRET_KEY: 'd'.repeat(64) }, logDestination: log.stream });
    try {
      const { botId } = await backend.createBot();
      const secrets = ['lt_S3cretLinkToken', 'tok-S3cret', 'key-S3cret', 'sig-S3cret'];
      const page = await backend.request('GET', `/chat/${botId}?link=${secrets[0]}&access_token=${secrets[1]}&api%5Fkey=${secrets[2]}&lang=de`, { headers: { referer: `https://shop.example/?signature=${secrets[3]}&page=2` } });
      expect(page.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const entry = log.lines().find((line) => line.req?.url?.startsWith(`/chat/${botId}?`));
      expect(entry).toBeDefined();
      expect(entry!.req.url).toBe(`/chat/${botId}?link=[redacted]&access_token=[redacted]&api%5Fkey=[redacted]&lang=de`);
      expect(entry!.req.query).toMatchObject({ link: '[redacted]', lang: 'de' });
      expect(entry!.req.headers.referer).toBe('https://shop.example/?signature=[redacted]&page=2');
      const everything = JSON.stringify(log.lines());
      for (const secret of secrets) expect(everything).not.toContain(secret);
    } finally {
      await backend.close();
    }
  });
});
