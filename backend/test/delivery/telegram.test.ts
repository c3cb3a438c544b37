import fs from 'node:fs';
import path from 'node:path';
import { getBot } from '../../src/bots/bots';
import { setTelegramToken } from '../../src/channels/telegram/telegram-store';
import { type StandinBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';


describe(`Telegram channel with grammY against the stand-in (${dialect})`, () => {
  let standin: TelegramStandin;
  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
  });
  afterAll(() => standin.close());

  async function telegramBackend(env: Record<string, string> = {}) {
    const backend = await startDeliveryBackend(standin, env);
    const { botId, token } = await backend.createBot();
    const telegram = standin.createBot({ username: `shop${botId}_bot` });
    await setTelegramToken(backend.ctx, botId, telegram.token);
    backend.ctx.wakeups.wake('telegram');
    return { backend, botId, token, telegram };
  }
  const eventOf = (backend: TestBackend, botId: number, type: string, leadChat?: string) =>
    eventually(async () => {
      const rows = await backend.ctx.db('events').where({ bot_id: botId, type }).orderBy('id', 'desc');
      const leads = leadChat ? await backend.ctx.db('leads').where({ bot_id: botId, chat_id: leadChat }).first() : undefined;
      const row = rows.find((r) => !leadChat || r.lead_id === leads?.id);
      return row ? { ...row, payload: JSON.parse(row.payload) } : undefined;
    });

  describe('long polling', () => {
    let backend: TestBackend;
    let botId: number;
    let token: string;
    let telegram: StandinBot;
    beforeAll(async () => {
      ({ backend, botId, token, telegram } = await telegramBackend());
    });
    afterAll(() => backend.close());

    it('stores the token encrypted and the getMe username in the bot settings', async () => {
      const settings = await eventually(async () => (await getBot(backend.ctx, botId))?.settings.telegram as { username?: string } | undefined);
      expect(settings.username).toBe(telegram.username);
      const row = await backend.ctx.db('telegram_bots').where({ bot_id: botId }).first();
      expect(row.token_encrypted).not.toContain(telegram.token.split(':')[1]);
    });

    it('turns /start, text, buttons, contacts and blocking into inbound events, replies and answered buttons', async () => {
      telegram.setUser(501, { first_name: 'Olga', username: 'olga', language_code: 'ru' });
      telegram.userStarts(501, 'promo42');
      const started = await eventOf(backend, botId, 'bot.started', '501');
      expect(started.payload).toMatchObject({ startPayload: 'promo42', channel: 'telegram' });
      const lead = await backend.ctx.db('leads').where({ bot_id: botId, chat_id: '501' }).first();
      expect(lead).toMatchObject({ first_name: 'Olga', username: 'olga', language: 'ru' });

      telegram.userSends(501, 'hello bot');
      expect((await eventOf(backend, botId, 'message.received', '501')).payload).toMatchObject({ text: 'hello bot' });

      const sent = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.id], text: 'Choose', buttons: [[{ text: 'A', data: 'choice:a' }]] } });
      await waitUntilDone(backend, botId, token, sent.body.messageId);
      const tap = telegram.tapButton(501, 'choice:a');
      expect((await eventOf(backend, botId, 'button.pressed', '501')).payload).toMatchObject({ buttonData: 'choice:a' });
      await telegram.waitForCallbackAnswer(tap.callbackQueryId);

      telegram.shareContact(501, '+7 999 000-11-22', { own: false });
      await telegram.waitFor(() => telegram.messagesTo(501).some((m) => (m.replyMarkup as { keyboard?: unknown })?.keyboard !== undefined));
      const ask = telegram.messagesTo(501).at(-1)!;
      expect(ask.replyMarkup).toMatchObject({ keyboard: [[{ request_contact: true }]] });
      telegram.shareContact(501, '+7 999 000-11-22');
      expect((await eventOf(backend, botId, 'contact.shared', '501')).payload).toMatchObject({ contact: { isOwn: true } });
      await telegram.waitFor(() => telegram.messagesTo(501).some((m) => (m.replyMarkup as { remove_keyboard?: boolean })?.remove_keyboard === true));

      telegram.blockBot(501);
      await eventOf(backend, botId, 'bot.blocked', '501');
      expect(Boolean((await backend.ctx.db('leads').where({ id: lead.id }).first()).reachable)).toBe(false);
      telegram.unblockBot(501);
      await eventOf(backend, botId, 'bot.unblocked', '501');
    });
  });

  describe('webhook mode', () => {
    let backend: TestBackend;
    let botId: number;
    let telegram: StandinBot;
    beforeAll(async () => {
      ({ backend, botId, telegram } = await telegramBackend({ TELEGRAM_MODE: 'webhook' }));
    });
    afterAll(() => backend.close());

    it('sets the webhook with a secret token and takes updates only with that secret', async () => {
      await eventually(async () => telegram.webhook?.url);
      expect(telegram.webhook).toMatchObject({ url: `${backend.url}/telegram/${botId}/webhook`, secretToken: expect.stringMatching(/^[0-9a-f]{48}$/) });
      telegram.userSends(777, 'via webhook');
      expect((await eventOf(backend, botId, 'message.received', '777')).payload).toMatchObject({ text: 'via webhook' });

      const forged = { update_id: 999_999, message: { message_id: 1, date: 0, chat: { id: 778, type: 'private', first_name: 'X' }, from: { id: 778, is_bot: false, first_name: 'X' }, text: 'forged' } };
      const noSecret = await backend.request('POST', `/telegram/${botId}/webhook`, { body: forged });
      const wrongSecret = await backend.request('POST', `/telegram/${botId}/webhook`, { body: forged, headers: { 'X-Telegram-Bot-Api-Secret-Token': 'nope' } });
      expect([noSecret.status, wrongSecret.status]).toEqual([401, 401]);
      expect(await backend.ctx.db('leads').where({ bot_id: botId, chat_id: '778' }).first()).toBeUndefined();
      expect((await backend.request('POST', '/telegram/424242/webhook', { body: forged })).status).toBe(404);
    });
  });

  it('without SECRET_KEY, generates a key file in DATA_DIR on first use', async () => {
    const backend = await startTestBackend({ env: { TELEGRAM_API_ROOT: standin.apiRoot, WORKERS_ENABLED: 'false' } });
    try {
      const { botId } = await backend.createBot();
      await setTelegramToken(backend.ctx, botId, standin.createBot().token);
      const keyFile = path.join(backend.dataDir, 'secret.key');
      expect(fs.readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    } finally {
      await backend.close();
    }
  });
});
