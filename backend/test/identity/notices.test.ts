import { ensureLead } from '../../src/identity/leads';
import { resumeExpiredPauses } from '../../src/identity/lifecycle';
import { createTelegramBot, type StandinBot, type TelegramStandin, useStandinBackend, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

/** What a lifecycle change tells the person arrives in their Telegram chat, through delivery. */
describe(`lifecycle notices delivered to the chat (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let chat = 7000;

  const setup = useStandinBackend();
  beforeAll(async () => {
    ({ standin, backend } = setup);
    ({ botId, token, telegram } = await createTelegramBot(backend, standin));
  });

  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });
  async function linkedUser(userId: string): Promise<number> {
    chat += 1;
    const lead = await ensureLead(backend.ctx.db, backend.ctx.clock, { botId, channel: 'telegram', chatId: String(chat), profile: { firstName: 'Ann' } });
    expect((await api('POST', '/links', { userId, leadId: lead.id })).status).toBe(200);
    return chat;
  }
  const lastNotice = async (userId: string) => {
    const row = await backend.ctx.db('events').where({ bot_id: botId, user_id: userId }).andWhere('type', 'like', 'user.%').orderBy('id', 'desc').first();
    return JSON.parse(row.payload).notice as { text: string; leadIds: string[]; messageId: string | null } | null;
  };
  /** Waits until the notice's message is done and returns the texts the chat got. */
  async function deliveredTexts(userId: string, chatId: number): Promise<string[]> {
    const notice = await lastNotice(userId);
    expect(notice?.messageId).toMatch(/^msg_/);
    const status = await waitUntilDone(backend, botId, token, notice!.messageId!);
    expect(status.counts).toMatchObject({ sent: 1, failed: 0, skipped: 0 });
    return telegram.messagesTo(chatId).map((m) => m.text!);
  }

  it('pause: the paused person is told until when (the notice passes the pause)', async () => {
    const chatId = await linkedUser('n-pause');
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await api('POST', '/users/n-pause/pause', { until })).status).toBe(200);
    expect(await deliveredTexts('n-pause', chatId)).toEqual([expect.stringMatching(/^Got it: I will not disturb you until .+, except for critical messages/)]);
  });

  it('block: the blocked person learns the reason, word for word; the trace shows the notice sent', async () => {
    const chatId = await linkedUser('n-block');
    const blocked = await api('POST', '/users/n-block/block', { reason: 'Unpaid invoice {{ lead.id }} {% if x %}' });
    expect(await deliveredTexts('n-block', chatId)).toEqual(['Your account has been blocked. Reason: Unpaid invoice {{ lead.id }} {% if x %}']);
    const trace = await api('GET', `/traces/${blocked.body.trace_id}`);
    expect(trace.body.hops.map((h: { hop: string }) => h.hop)).toEqual(['user.blocked', 'message.queued', 'message.sent']);

    await api('POST', '/users/n-block/unblock', {});
    expect((await deliveredTexts('n-block', chatId)).at(-1)).toBe('Your account has been unblocked. Welcome back!');
  });

  it('disconnect: told how to come back, although the chat is no longer linked', async () => {
    const chatId = await linkedUser('n-disc');
    await api('POST', '/users/n-disc/disconnect', {});
    expect(await deliveredTexts('n-disc', chatId)).toEqual([expect.stringMatching(/disconnected from the bot.*sign in again/)]);
  });

  it('a pause that ends by itself greets the person back', async () => {
    const chatId = await linkedUser('n-auto');
    await api('POST', '/users/n-auto/pause', { until: new Date(Date.now() + 300).toISOString() });
    await deliveredTexts('n-auto', chatId);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await resumeExpiredPauses(backend.ctx);
    expect((await deliveredTexts('n-auto', chatId)).at(-1)).toBe('Welcome back! Messages are on again. How can I help?');
  });

  it('delete and notify: false send nothing', async () => {
    const deletedChat = await linkedUser('n-del');
    const quietChat = await linkedUser('n-quiet');
    const deleted = await api('POST', '/users/n-del/delete', {});
    const quiet = await api('POST', '/users/n-quiet/block', { reason: 'x', notify: false });
    expect(await lastNotice('n-del')).toBeNull();
    expect(await lastNotice('n-quiet')).toBeNull();
    const queued = await backend.ctx.db('messages').whereIn('trace_id', [deleted.body.trace_id, quiet.body.trace_id]);
    expect(queued).toEqual([]);
    // A later notice to another chat has gone through the same loop: still nothing for these two.
    const laterChat = await linkedUser('n-later');
    await api('POST', '/users/n-later/block', {});
    await deliveredTexts('n-later', laterChat);
    expect(telegram.messagesTo(deletedChat)).toEqual([]);
    expect(telegram.messagesTo(quietChat)).toEqual([]);
  });
});
