import { getBot } from '../../../src/bots/bots';
import { getTelegramBot } from '../../../src/channels/telegram/telegram-store';
import { type TelegramStandin, useStandinBackend } from '../../support/delivery';
import { dialect, type TestBackend } from '../../support/test-backend';

describe(`Telegram token over the API (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const setup = useStandinBackend();
  beforeAll(async () => {
    ({ standin, backend } = setup);
    ({ botId, token } = await backend.createBot());
  });

  const api = (method: string, body?: unknown, auth = token, bot = botId) => backend.request(method, `/api/v1/bots/${bot}/telegram`, { token: auth, body });
  const username = async () => ((await getBot(backend.ctx, botId))?.settings.telegram as { username?: string } | undefined)?.username;

  it('PUT checks the token with getMe, stores it encrypted with the username, never echoes it; the bot then receives updates', async () => {
    const telegram = standin.createBot({ username: `api${botId}_bot` });
    const set = await api('PUT', { token: telegram.token });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ success: true, telegram: { configured: true, username: `api${botId}_bot`, mode: 'polling', updatedAt: expect.any(String) }, trace_id: expect.any(String) });
    expect(JSON.stringify(set.body)).not.toContain(telegram.token.split(':')[1]);
    expect(await username()).toBe(`api${botId}_bot`);
    const row = await backend.ctx.db('telegram_bots').where({ bot_id: botId }).first();
    expect(row.token_encrypted).not.toContain(telegram.token.split(':')[1]);
    expect((await getTelegramBot(backend.ctx, botId))?.token).toBe(telegram.token);
    expect((await api('GET')).body.telegram).toMatchObject({ configured: true, username: `api${botId}_bot` });

    // Polling starts without a restart: a person's /start becomes an event.
    telegram.userStarts(4242);
    const deadline = Date.now() + 8000;
    let started;
    while (!started && Date.now() < deadline) {
      started = await backend.ctx.db('events').where({ bot_id: botId, type: 'bot.started' }).first();
      if (!started) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(started).toBeDefined();
  });

  it('refuses a malformed token (422, not echoed) and one Telegram refuses (422), keeping the old one', async () => {
    const before = await getTelegramBot(backend.ctx, botId);
    const malformed = await api('PUT', { token: 'not-a-token-secretpart' });
    expect(malformed.status).toBe(422);
    expect(malformed.body.errors).toEqual([{ path: 'token', message: expect.stringMatching(/BotFather/) }]);
    expect(JSON.stringify(malformed.body)).not.toContain('secretpart');

    const revoked = standin.createBot();
    revoked.failNext(1, { status: 401, description: 'Unauthorized', method: 'getMe' });
    const refused = await api('PUT', { token: revoked.token });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ success: false, message: 'Telegram refused this token', errors: [{ path: 'token', message: '401 Unauthorized' }] });
    expect(JSON.stringify(refused.body)).not.toContain(revoked.token.split(':')[1]);
    expect((await getTelegramBot(backend.ctx, botId))?.token).toBe(before?.token);
  });

  it('needs the admin scope', async () => {
    const limited = await backend.createBot({ scopes: ['identity', 'messages'] });
    const denied = await api('PUT', { token: standin.createBot().token }, limited.token, limited.botId);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/"admin" scope/);
    expect((await api('GET', undefined, limited.token, limited.botId)).status).toBe(403);
  });

  it('DELETE removes the token and the username; a second DELETE is 404', async () => {
    const removed = await api('DELETE');
    expect(removed.body).toMatchObject({ success: true, telegram: { configured: false, username: null, updatedAt: null } });
    expect(await getTelegramBot(backend.ctx, botId)).toBeUndefined();
    expect(await username()).toBeUndefined();
    expect((await api('DELETE')).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await backend.request('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/api/v1/bots/{botId}/telegram']).sort()).toEqual(['delete', 'get', 'put']);
  });
});
