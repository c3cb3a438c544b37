import { runCli } from '../../support/cli';
import { dialect, startTestBackend, type TestBackend } from '../../support/test-backend';

describe(`metabot-backend bot set-webchat (${dialect})`, () => {
  let backend: TestBackend;
  let env: Record<string, string>;

  beforeAll(async () => {
    backend = await startTestBackend();
    const { DATABASE_URL } = backend.ctx.config;
    env = { DATA_DIR: backend.dataDir, LOG_LEVEL: 'silent', ...(DATABASE_URL ? { DATABASE_URL } : {}) };
  });
  afterAll(() => backend.close());

  it('sets the sites allowed to embed the chat; the page\'s frame-ancestors follow at once', async () => {
    const { botId } = await backend.createBot();
    const result = runCli(['bot', 'set-webchat', String(botId), '--origins', 'https://shop.example/catalog, http://localhost:8080'], env);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ allowedOrigins: ['https://shop.example', 'http://localhost:8080'], chatUrl: expect.stringMatching(new RegExp(`/chat/${botId}$`)) });
    const page = await backend.request('GET', `/chat/${botId}`);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'self' https://shop.example http://localhost:8080;");

    const refused = runCli(['bot', 'set-webchat', String(botId), '--origins', 'javascript:alert(1)'], env);
    expect(refused.status).toBe(1);
    expect(runCli(['bot', 'set-webchat', String(botId), '--origins', ''], env).status).toBe(0);
    expect((await backend.request('GET', `/chat/${botId}`)).headers.get('content-security-policy')).toContain("frame-ancestors 'self';");
  });
});
