import { updateBotSettings } from '../../src/bots/bots';
import { ensureLead } from '../../src/identity/leads';
import { createTelegramBot, type StandinBot, type TelegramStandin, useStandinBackend, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

/** A lifecycle notice overridden per language reaches each chat in its language, through the same variants as a message. */
describe(`lifecycle notices by language (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;

  const setup = useStandinBackend();
  beforeAll(async () => {
    ({ standin, backend } = setup);
    ({ botId, token, telegram } = await createTelegramBot(backend, standin));
    await updateBotSettings(backend.ctx, botId, {
      identity: { texts: { 'user.blocked': { default: 'Blocked: [[ reason ]]', ru: 'Заблокировано: [[ reason ]]', de: '[% if %]' }, 'user.unblocked': 'Back, {{ reason }}!' } },
    });
  });
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });

  it('each chat of the user gets the variant of its language, else the default; a broken variant falls back to the default', async () => {
    const chats = { ru: 8101, en: 8102, de: 8103 };
    for (const [language, chatId] of Object.entries(chats)) {
      const lead = await ensureLead(backend.ctx.db, backend.ctx.clock, { botId, channel: 'telegram', chatId: String(chatId), profile: { firstName: 'Ann', language } });
      expect((await api('POST', '/links', { userId: 'multi', leadId: lead.id })).status).toBe(200);
    }
    await api('POST', '/users/multi/block', { reason: 'spam [[ x ]]' });
    const row = await backend.ctx.db('events').where({ bot_id: botId, user_id: 'multi', type: 'user.blocked' }).first();
    const notice = JSON.parse(row.payload).notice as { messageId: string };
    await waitUntilDone(backend, botId, token, notice.messageId);
    expect(telegram.messagesTo(chats.ru).at(-1)!.text).toBe('Заблокировано: spam [[ x ]]');
    expect(telegram.messagesTo(chats.en).at(-1)!.text).toBe('Blocked: spam [[ x ]]');
    expect(telegram.messagesTo(chats.de).at(-1)!.text).toBe('Blocked: spam [[ x ]]');
  });
});
