import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getBot } from '../../src/bots/bots';
import { runCli } from '../support/cli';
import { TelegramStandin } from '../support/delivery';
import { startTestBackend, type TestBackend } from '../support/test-backend';

describe('metabot-backend CLI: Telegram token and delivery settings', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-cli-tg-'));
  let standin: TelegramStandin;
  let backend: TestBackend;
  let env: Record<string, string>;

  // No SECRET_KEY: the CLI and the server share the key generated into DATA_DIR.
  beforeAll(async () => {
    standin = await TelegramStandin.start();
    backend = await startTestBackend({ env: { DATA_DIR: dataDir, TELEGRAM_API_ROOT: standin.apiRoot } });
    const { DATABASE_URL } = backend.ctx.config;
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', TELEGRAM_API_ROOT: standin.apiRoot, ...(DATABASE_URL ? { DATABASE_URL } : {}) };
  });
  afterAll(async () => {
    await backend.close();
    await standin.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a bot with its Telegram token stored encrypted, never printed; the server picks it up', async () => {
    const telegram = standin.createBot({ username: 'cli_shop_bot' });
    const created = runCli(['bot', 'create', '--name', 'Shop', '--telegram-token', telegram.token], env);
    expect(created.status).toBe(0);
    expect(created.stdout + created.stderr).not.toContain(telegram.token);
    const bot = JSON.parse(created.stdout);
    expect(bot.telegram).toBe('token stored (encrypted)');

    backend.ctx.wakeups.wake('telegram');
    const deadline = Date.now() + 10_000;
    let username: unknown;
    while (!username && Date.now() < deadline) {
      username = ((await getBot(backend.ctx, bot.id))?.settings.telegram as { username?: string } | undefined)?.username;
      if (!username) await new Promise((r) => setTimeout(r, 50));
    }
    expect(username).toBe('cli_shop_bot');

    const replaced = standin.createBot({ username: 'cli_shop2_bot' });
    expect(runCli(['bot', 'set-telegram-token', String(bot.id), '--token', replaced.token], env).status).toBe(0);
    const stored = await backend.ctx.db('telegram_bots').where({ bot_id: bot.id }).first();
    expect(stored.token_encrypted).not.toContain(replaced.token.split(':')[1]);
  });

  it('refuses a token that is not BotFather-shaped, creating nothing', async () => {
    const before = (await backend.ctx.db('bots').count({ n: '*' }).first())!.n;
    const bad = runCli(['bot', 'create', '--name', 'Bad', '--telegram-token', 'not-a-token'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/BotFather/);
    expect((await backend.ctx.db('bots').count({ n: '*' }).first())!.n).toEqual(before);
  });

  it('sets a bot\'s delivery rate and paid broadcast', () => {
    const bot = JSON.parse(runCli(['bot', 'create', '--name', 'Paid'], env).stdout);
    const result = runCli(['bot', 'set-delivery', String(bot.id), '--rate', '500', '--paid-broadcast', 'on'], env);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ratePerSecond: 500, allowPaidBroadcast: true });
  });

  it('sets a bot\'s default phone country, refusing an unknown one', () => {
    const bot = JSON.parse(runCli(['bot', 'create', '--name', 'Phones'], env).stdout);
    const set = runCli(['bot', 'set-phone-country', String(bot.id), '--country', 'de'], env);
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ defaultPhoneCountry: 'DE' });
    const bad = runCli(['bot', 'set-phone-country', String(bot.id), '--country', 'XX'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/two-letter country code/);
  });
});
