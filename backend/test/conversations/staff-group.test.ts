import { Api } from 'grammy';
import { openTopic } from '../../src/channels/telegram/staff-topics';
import { runCliAsync } from '../support/cli';
import { addConsoleUser } from '../support/console';
import { createTelegramBot, sameDatabaseAs, type StandinBot, useStandinBackend } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect, type TestBackend } from '../support/test-backend';
import { newVisitor } from '../support/webchat';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const ANN = 501;
const BOB = 502;
const STRANGER = 503;
/** Listed under the email of a console admin of the bot. */
const CY = 504;
/** Listed under the email of a console admin of another bot only. */
const DAN = 505;

/**
 * Operators in a Telegram staff group, through the real pipeline: people write in the Telegram
 * stand-in and the web chat, the backend opens a forum topic per handed-over person in the
 * stand-in's supergroup, and operators answer (or /return, /close) from their topic.
 */
describe(`conversations: the Telegram staff group (${dialect})`, () => {
  const setup = useStandinBackend();
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  let bot: { botId: number; token: string; telegram: StandinBot };
  let group: number;
  let chat = 8000;

  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${bot.botId}${path}`, { token: bot.token, body });
  const conversationOf = async (leadId: string) => (await api('GET', `/leads/${leadId}/conversation`)).body.conversation;
  const inGroup = () => bot.telegram.messagesTo(group);
  const topicTexts = (threadId: number) => inGroup().filter((m) => m.messageThreadId === threadId).map((m) => m.text ?? '');

  async function newPerson(): Promise<{ chatId: number; leadId: string }> {
    const chatId = ++chat;
    bot.telegram.userSends(chatId, 'hello');
    const lead = await eventually(async () => (await api('GET', `/leads?chatId=${chatId}`)).body.leads?.[0]);
    return { chatId, leadId: lead.id };
  }

  /** The person asks for a human; answers the topic the backend opened for them. */
  async function handedOver(chatId: number, leadId: string) {
    bot.telegram.userSends(chatId, 'operator');
    await eventually(async () => (await conversationOf(leadId)).state === 'waiting');
    const row = await eventually(() => backend.ctx.db('staff_topics').where({ bot_id: bot.botId, state: 'open' }).whereIn('person_key', [`lead:${leadId}`]).first());
    await eventually(() => topicTexts(Number(row.thread_id)).some((t) => t.startsWith('Handed over to operators')));
    return Number(row.thread_id);
  }

  beforeAll(async () => {
    backend = setup.backend;
    receiver = await startWebhookReceiver();
    bot = await createTelegramBot(backend, setup.standin);
    backend.ctx.wakeups.wake('telegram');
    group = bot.telegram.createGroup({ title: 'Support', members: [ANN, BOB, STRANGER, CY, DAN] });
    bot.telegram.setUser(ANN, { first_name: 'Ann' });
    expect((await api('POST', '/subscriptions', { url: `${receiver.url}/all`, events: ['*'] })).status).toBe(201);
    const operators = [
      { telegramUserId: ANN, name: 'ann@example.com' },
      { telegramUserId: BOB, name: 'bob@example.com' },
      { telegramUserId: CY, name: 'cy@example.com' },
      { telegramUserId: DAN, name: 'dan@example.com' },
    ];
    const set = await api('PUT', '/telegram/staff-group', { chatId: String(group), operators });
    expect(set.status).toBe(200);
    expect(set.body.staffGroup).toEqual({ chatId: String(group), operators });
    await addConsoleUser(backend, 'bob@example.com', 'operator');
    await addConsoleUser(backend, 'cy@example.com', 'admin', [bot.botId]);
    await addConsoleUser(backend, 'dan@example.com', 'admin', [(await backend.createBot()).botId]);
  });
  afterAll(() => receiver.close());

  it('refuses a chat that is not a forum supergroup where the bot manages topics, naming what is missing', async () => {
    const plain = bot.telegram.createGroup({ isForum: false });
    const member = bot.telegram.createGroup({ rights: { status: 'member' } });
    const noTopics = bot.telegram.createGroup({ rights: { status: 'administrator', canManageTopics: false } });
    const refusal = async (chatId: string | number) => {
      const answer = await api('PUT', '/telegram/staff-group', { chatId, operators: [] });
      expect(answer.status).toBe(422);
      return answer.body.errors[0].message as string;
    };
    expect(await refusal(String(plain))).toMatch(/no topics/);
    expect(await refusal(member)).toMatch(/the bot is member there/);
    expect(await refusal(String(noTopics))).toMatch(/without the right to manage topics/);
    expect(await refusal('-1009999999999')).toMatch(/chat not found/);
    expect(await refusal('12345')).toMatch(/supergroup chat id/);
    const twice = await api('PUT', '/telegram/staff-group', { chatId: String(group), operators: [{ telegramUserId: ANN, name: 'a' }, { telegramUserId: ANN, name: 'b' }] });
    expect(twice.status).toBe(422);
    // The refused chats changed nothing.
    expect((await api('GET', '/telegram/staff-group')).body.staffGroup.chatId).toBe(String(group));

    const bare = await backend.createBot();
    const noToken = await backend.request('PUT', `/api/v1/bots/${bare.botId}/telegram/staff-group`, { token: bare.token, body: { chatId: String(group) } });
    expect(noToken.status).toBe(409);
  });

  it('a handover opens one topic named after the person; their messages land in it and never reach workflows', async () => {
    const { chatId, leadId } = await newPerson();
    bot.telegram.setUser(chatId, { first_name: 'Dora' });
    const threadId = await handedOver(chatId, leadId);
    expect(bot.telegram.topics(group).find((t) => t.threadId === threadId)).toMatchObject({ name: expect.stringContaining('· telegram'), closed: false });
    bot.telegram.userSends(chatId, 'my order is late');
    await eventually(() => topicTexts(threadId).includes('telegram: my order is late'));
    const events = await backend.ctx.db('events').where({ lead_id: leadId, type: 'message.received' }).orderBy('id');
    expect(events.at(-1).audience).toBe('operator');
  });

  it('makes one topic when handovers and creations race', async () => {
    const raced = await newPerson();
    const topicsBefore = bot.telegram.topics(group).length;
    const handovers = await Promise.all(Array.from({ length: 4 }, () => api('POST', `/leads/${raced.leadId}/conversation/handover`, { reason: 'race' })));
    expect(handovers.map((h) => h.status).sort()).toEqual([200, 409, 409, 409]);
    bot.telegram.userSends(raced.chatId, 'still there?');
    await eventually(() => inGroup().some((m) => m.text === 'telegram: still there?'));
    expect(bot.telegram.topics(group).length).toBe(topicsBefore + 1);

    const { leadId } = await newPerson();
    const key = { botId: bot.botId, personKey: `lead:${leadId}` };
    const telegramApi = new Api(bot.telegram.token, { apiRoot: setup.standin.apiRoot });
    const before = bot.telegram.topics(group).length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => openTopic(backend.ctx, telegramApi, key, String(group), 'Race')));
    expect(bot.telegram.topics(group).length).toBe(before + 1);
    const threads = answers.filter((a) => a !== 'busy');
    expect(threads.length).toBeGreaterThanOrEqual(1);
    expect(new Set(threads).size).toBe(1);
    expect(await openTopic(backend.ctx, telegramApi, key, String(group), 'Race')).toBe(threads[0]);
  });

  it('the first operator who answers in the topic takes it and reaches the person; another operator and a stranger cannot', async () => {
    const { chatId, leadId } = await newPerson();
    const threadId = await handedOver(chatId, leadId);

    bot.telegram.userWritesInGroup(group, STRANGER, 'I am not staff', threadId);
    bot.telegram.userWritesInGroup(group, ANN, 'Hi, Ann here. Looking into it.', threadId);
    await eventually(() => bot.telegram.messagesTo(chatId).some((m) => m.text === 'Hi, Ann here. Looking into it.'));
    expect(await conversationOf(leadId)).toMatchObject({ state: 'assigned', operator: { id: 'ann@example.com' } });

    bot.telegram.userWritesInGroup(group, BOB, 'Bob: let me', threadId);
    await eventually(() => topicTexts(threadId).some((t) => t.includes('operator ann@example.com')));
    const texts = bot.telegram.messagesTo(chatId).map((m) => m.text);
    expect(texts).not.toContain('Bob: let me');
    expect(texts).not.toContain('I am not staff');
    // Nothing said in the staff group became a lead or a person's event.
    expect(await backend.ctx.db('leads').where({ bot_id: bot.botId, chat_id: String(group) }).first()).toBeUndefined();
    const history = (await api('GET', `/leads/${leadId}/conversation/messages`)).body.messages;
    expect(history.filter((m: { direction: string }) => m.direction === 'out')).toEqual([expect.objectContaining({ operator: 'ann@example.com', body: { text: 'Hi, Ann here. Looking into it.' } })]);
    const replied = await eventually(() => receiver.received.find((r) => (r.body as { type: string; lead?: { id: string } }).type === 'operator.replied' && (r.body as { lead?: { id: string } }).lead?.id === leadId));
    expect((replied.body as { data: Record<string, unknown> }).data).toMatchObject({ operator: 'ann@example.com' });
    expect(receiver.received.some((r) => JSON.stringify(r.body).includes('I am not staff'))).toBe(false);

    // A reply from the desk (the API) is copied into the topic; the one written there is not copied back.
    expect((await api('POST', `/leads/${leadId}/conversation/reply`, { operator: 'ann@example.com', text: 'From the desk' })).status).toBe(200);
    await eventually(() => topicTexts(threadId).includes('ann@example.com answered (not from this topic): From the desk'));
    expect(topicTexts(threadId).filter((t) => t.includes('Looking into it'))).toEqual([]);
    expect(await backend.ctx.db('staff_replies')).toEqual([]);
  });

  it('/return gives the conversation back to the bot and closes the topic; the next handover reopens it', async () => {
    const { chatId, leadId } = await newPerson();
    const threadId = await handedOver(chatId, leadId);
    bot.telegram.userWritesInGroup(group, ANN, 'Sorted, back to the bot.', threadId);
    await eventually(() => bot.telegram.messagesTo(chatId).some((m) => m.text === 'Sorted, back to the bot.'));
    bot.telegram.userWritesInGroup(group, ANN, '/return', threadId);
    await eventually(() => bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed);
    expect(await conversationOf(leadId)).toMatchObject({ state: 'bot', operator: null });
    expect(topicTexts(threadId).at(-1)).toMatch(/^Returned to the bot/);
    // Back with the bot: the person's message goes to workflows, not into the topic.
    bot.telegram.userSends(chatId, 'thanks');
    await eventually(async () => (await backend.ctx.db('events').where({ lead_id: leadId, type: 'message.received' }).orderBy('id', 'desc').first())?.audience === null);

    const again = await handedOver(chatId, leadId);
    expect(again).toBe(threadId);
    expect(bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed).toBe(false);
    bot.telegram.userWritesInGroup(group, BOB, '/close', threadId);
    await eventually(() => bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed);
    expect((await conversationOf(leadId)).state).toBe('bot');
  });

  it('lets only the operator who has the conversation, or an admin of the bot, /return or /close it, as the desk does; another is told why', async () => {
    const { chatId, leadId } = await newPerson();
    const threadId = await handedOver(chatId, leadId);
    bot.telegram.userWritesInGroup(group, ANN, 'Ann has this one.', threadId);
    await eventually(() => bot.telegram.messagesTo(chatId).some((m) => m.text === 'Ann has this one.'));
    const refusal = 'Operator ann@example.com has this conversation: only they or an admin may return, close or transfer it';

    // Another operator (a console operator), and an admin of another bot only: refused, each told in the topic.
    let told = 0;
    for (const [who, command] of [[BOB, '/return'], [BOB, '/close'], [DAN, '/return'], [DAN, '/close']] as const) {
      bot.telegram.userWritesInGroup(group, who, command, threadId);
      await eventually(() => topicTexts(threadId).filter((t) => t === refusal).length === told + 1);
      told += 1;
    }
    expect(await conversationOf(leadId)).toMatchObject({ state: 'assigned', operator: { id: 'ann@example.com' } });
    expect(bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed).toBe(false);
    expect(await backend.ctx.db('events').where({ lead_id: leadId }).whereIn('type', ['conversation.returned', 'conversation.closed'])).toEqual([]);

    // An admin of the bot takes it back from Ann.
    bot.telegram.userWritesInGroup(group, CY, '/return', threadId);
    await eventually(() => bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed);
    expect(await conversationOf(leadId)).toMatchObject({ state: 'bot', operator: null });
    expect(await backend.ctx.db('events').where({ lead_id: leadId, type: 'conversation.returned' }).first()).toMatchObject({ type: 'conversation.returned' });

    // The operator who has it closes it.
    expect(await handedOver(chatId, leadId)).toBe(threadId);
    bot.telegram.userWritesInGroup(group, ANN, 'Ann again.', threadId);
    await eventually(async () => (await conversationOf(leadId)).state === 'assigned');
    bot.telegram.userWritesInGroup(group, ANN, '/close', threadId);
    await eventually(() => bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed);
    expect(await conversationOf(leadId)).toMatchObject({ state: 'bot', operator: null });
    expect(await backend.ctx.db('events').where({ lead_id: leadId, type: 'conversation.closed' }).first()).toMatchObject({ type: 'conversation.closed' });
    expect(topicTexts(threadId).filter((t) => t === refusal)).toHaveLength(4);
  });

  it('a topic closed by hand in Telegram is reopened when the person writes again', async () => {
    const { chatId, leadId } = await newPerson();
    const threadId = await handedOver(chatId, leadId);
    bot.telegram.closeTopicByHand(group, threadId);
    bot.telegram.userSends(chatId, 'anyone there?');
    await eventually(() => topicTexts(threadId).includes('telegram: anyone there?'));
    expect(bot.telegram.topics(group).find((t) => t.threadId === threadId)?.closed).toBe(false);
    expect(bot.telegram.requests.some((r) => r.chatId === group && r.code === 400)).toBe(true);

    // Deleted by hand: the next message opens a new topic.
    bot.telegram.deleteTopicByHand(group, threadId);
    bot.telegram.userSends(chatId, 'hello?');
    const row = await eventually(async () => {
      const topic = await backend.ctx.db('staff_topics').where({ bot_id: bot.botId, person_key: `lead:${leadId}`, state: 'open' }).first();
      return topic && Number(topic.thread_id) !== threadId ? topic : undefined;
    });
    await eventually(() => topicTexts(Number(row.thread_id)).includes('telegram: hello?'));
  });

  it('waits as long as Telegram\'s flood answer asks, and clips a long message to Telegram\'s 4096', async () => {
    const { chatId, leadId } = await newPerson();
    const threadId = await handedOver(chatId, leadId);
    bot.telegram.failNext(1, { status: 429, method: 'sendMessage', chatId: group, retryAfter: 1, description: 'Too Many Requests: retry after 1' });
    const refusedAt = Date.now();
    bot.telegram.userSends(chatId, 'x'.repeat(5000));
    await eventually(() => topicTexts(threadId).some((t) => t.startsWith('telegram: xxx')), 20_000);
    const copy = inGroup().find((m) => m.messageThreadId === threadId && m.text?.startsWith('telegram: xxx'))!;
    expect(copy.at - refusedAt).toBeGreaterThanOrEqual(900);
    expect(copy.text).toHaveLength(4096);
    expect(copy.text!.endsWith('…')).toBe(true);
    expect(bot.telegram.requests.some((r) => r.chatId === group && r.code === 429)).toBe(true);
  });

  it('an operator\'s answer reaches a linked person in the web chat they wrote from last', async () => {
    const { leadId: telegramLead } = await newPerson();
    const visitor = await newVisitor(backend, bot.botId);
    await visitor.send({ kind: 'start' });
    const webLead = await eventually(() => backend.ctx.db('leads').where({ bot_id: bot.botId, channel: 'webchat', chat_id: visitor.visitorId }).first());
    const userId = `staff-${telegramLead}`;
    for (const id of [telegramLead, webLead.id]) expect((await api('POST', '/links', { userId, leadId: id })).status).toBe(200);

    expect((await visitor.send({ kind: 'text', text: 'operator' })).status).toBeLessThan(300);
    const row = await eventually(() => backend.ctx.db('staff_topics').where({ bot_id: bot.botId, person_key: `user:${userId}`, state: 'open' }).first());
    const threadId = Number(row.thread_id);
    await visitor.send({ kind: 'text', text: 'from the site' });
    await eventually(() => topicTexts(threadId).includes('webchat: from the site'));
    expect(bot.telegram.topics(group).find((t) => t.threadId === threadId)?.name).toContain('· webchat');

    bot.telegram.userWritesInGroup(group, ANN, 'Answered on the site', threadId);
    await eventually(async () => (await visitor.history()).body.messages.some((m: { text?: string }) => m.text === 'Answered on the site'));
    expect(await conversationOf(telegramLead)).toMatchObject({ state: 'assigned', operator: { id: 'ann@example.com' } });
  });

  it('the CLI sets the staff group after the same check with Telegram, and turns it off', async () => {
    const env = { ...sameDatabaseAs(backend), SECRET_KEY: 'a'.repeat(64), TELEGRAM_API_ROOT: setup.standin.apiRoot, LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) => runCliAsync(['bot', 'set-staff-group', String(bot.botId), ...args], env);
    const plain = bot.telegram.createGroup({ isForum: false });
    const refused = await cli('--chat-id', String(plain));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/no topics/);
    expect((await cli('--chat-id', String(group), '--operator', 'ann')).stderr).toMatch(/<telegram user id>=<name>/);

    const set = await cli('--chat-id', String(group), '--operator', `${BOB}=bob@example.com`);
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ chatId: String(group), operators: [{ telegramUserId: BOB, name: 'bob@example.com' }] });
    const off = await cli('--off');
    expect(off.status).toBe(0);
    expect(await eventually(async () => ((await api('GET', '/telegram/staff-group')).body.staffGroup === null ? true : undefined))).toBe(true);
  });
});
