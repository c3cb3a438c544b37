import { createTelegramBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';
import { eventually } from '../support/eventually';

/**
 * A person stops a topic's non-critical messages (by the API or with /stop in the chat) and takes
 * them back (/resume): checked when the message leaves, through real Telegram delivery (the stand-in).
 */
describe(`topic preferences (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let bot: Awaited<ReturnType<typeof createTelegramBot>>;
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${bot.botId}${path}`, { token: bot.token, body });
  const received = (chatId: number, text: string) => bot.telegram.messages.filter((m) => m.chatId === chatId && m.text === text);

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin);
    bot = await createTelegramBot(backend, standin);
  });
  afterAll(async () => {
    await backend.close();
    await standin.close();
  });

  async function leadOf(chatId: number) {
    bot.telegram.userStarts(chatId);
    return eventually(() => backend.ctx.db('leads').where({ bot_id: bot.botId, chat_id: String(chatId) }).first());
  }

  async function sendToNews(text: string, critical = false) {
    const sent = await api('POST', '/messages', { topics: ['news'], text, critical });
    expect(sent.status).toBe(202);
    await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
    const status = (await api('GET', `/messages/${sent.body.messageId}`)).body.message;
    return new Map<string, { status: string; error: string | null }>(status.recipients.map((r: { leadId: string; status: string; error: string | null }) => [r.leadId, r]));
  }

  it('stopped members are skipped with topic_stopped, critical messages still reach them, and /resume takes the topic back', async () => {
    const [byApi, byChat, other] = [await leadOf(801), await leadOf(802), await leadOf(803)];
    expect((await api('POST', '/links', { userId: 'crm-801', leadId: byApi.id })).status).toBe(200);
    expect((await api('POST', '/topics', { key: 'news', name: 'Family news' })).status).toBe(201);
    // One member as a CRM user, two as leads.
    expect((await api('POST', '/topics/news/subscribe', { userIds: ['crm-801'], leadIds: [byChat.id, other.id] })).body).toMatchObject({ changed: 3 });

    expect((await api('POST', '/topics/news/preferences', { userIds: ['crm-801'], stopped: true })).body).toMatchObject({ changed: 1 });
    bot.telegram.userSends(802, '/stop news');
    await eventually(() => received(802, 'You will no longer get "Family news" messages, except critical ones. Send /resume news to get them again.').length === 1);
    // The command was consumed: no message.received for it.
    expect(await backend.ctx.db('events').where({ bot_id: bot.botId, lead_id: byChat.id, type: 'message.received' })).toHaveLength(0);
    const members = (await api('GET', '/topics/news/members')).body.members;
    expect(members.filter((m: { stopped: boolean }) => m.stopped).map((m: { id: string }) => m.id).sort()).toEqual(['crm-801', byChat.id].sort());

    const news = await sendToNews('Weekly digest');
    expect(news.get(byApi.id)).toMatchObject({ status: 'skipped', error: expect.stringMatching(/^topic_stopped/) });
    expect(news.get(byChat.id)).toMatchObject({ status: 'skipped', error: expect.stringMatching(/^topic_stopped/) });
    expect(news.get(other.id)).toMatchObject({ status: 'sent' });
    expect([received(801, 'Weekly digest'), received(802, 'Weekly digest'), received(803, 'Weekly digest')].map((m) => m.length)).toEqual([0, 0, 1]);

    const critical = await sendToNews('The family meeting moved to 18:00', true);
    expect([...critical.values()].map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);

    bot.telegram.userSends(802, '/resume news');
    await eventually(() => received(802, 'You will get "Family news" messages again. Send /stop news to stop them.').length === 1);
    const after = await sendToNews('Second digest');
    expect([after.get(byApi.id)?.status, after.get(byChat.id)?.status, after.get(other.id)?.status]).toEqual(['skipped', 'sent', 'sent']);
  });

  it('a stop command for a topic the person is not in, or that does not exist, is an ordinary message', async () => {
    const lead = await leadOf(804);
    bot.telegram.userSends(804, '/stop news');
    bot.telegram.userSends(804, '/stop nothing-here');
    await eventually(async () => (await backend.ctx.db('events').where({ bot_id: bot.botId, lead_id: lead.id, type: 'message.received' })).length === 2);
  });

  it('refuses preferences without people or for an unknown topic', async () => {
    expect((await api('POST', '/topics/news/preferences', { stopped: true })).status).toBe(422);
    expect((await api('POST', '/topics/none/preferences', { userIds: ['x'], stopped: true })).status).toBe(404);
  });
});
