import { startServer } from '../../src/server';
import { createTelegramBot, sameDatabaseAs, type StandinBot, useStandinBackend } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect, jsonRequest, type TestBackend } from '../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { loadConfig } from '../../src/platform/config/config';

interface Received {
  type: string;
  lead: { id: string } | null;
  data: Record<string, unknown>;
}

/**
 * Conversations through the real pipeline: people write in the Telegram stand-in, the backend
 * polls it, fans out to two subscriptions of a webhook receiver (a and b), and operators answer
 * back into the stand-in.
 */
describe(`conversations: ownership, routing and handover (${dialect})`, () => {
  const setup = useStandinBackend();
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  let bot: { botId: number; token: string; telegram: StandinBot };
  const subscriptions: Record<'a' | 'b', string> = { a: '', b: '' };
  let chat = 7000;

  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${bot.botId}${path}`, { token: bot.token, body });
  const conversation = (leadId: string, suffix = '', method = 'POST', body?: unknown) => api(method, `/leads/${leadId}/conversation${suffix}`, body);
  const receivedBy = (name: 'a' | 'b') => receiver.received.filter((r) => r.path.endsWith(`/${name}`)).map((r) => r.body as Received);
  const textsTo = (name: 'a' | 'b', leadId: string) => receivedBy(name).filter((e) => e.type === 'message.received' && e.lead?.id === leadId).map((e) => e.data.text);

  /** A new person who has written once; answers their lead id once the backend has the message. */
  async function newPerson(): Promise<{ chatId: number; leadId: string }> {
    const chatId = ++chat;
    bot.telegram.userSends(chatId, 'hello');
    const lead = await eventually(async () => (await api('GET', `/leads?chatId=${chatId}`)).body.leads?.[0]);
    await eventually(() => textsTo('a', lead.id).length === 1 && textsTo('b', lead.id).length === 1);
    return { chatId, leadId: lead.id };
  }

  /** Writes `text` and waits until the backend recorded it (the event exists), then for the fan-out. */
  async function write(chatId: number, leadId: string, text: string) {
    bot.telegram.userSends(chatId, text);
    const event = await eventually(async () => {
      const rows = await backend.ctx.db('events').where({ lead_id: leadId, type: 'message.received' }).orderBy('id', 'desc').limit(1);
      return rows[0] && JSON.parse(rows[0].payload).text === text && rows[0].fanout !== null ? rows[0] : undefined;
    });
    return event as { id: number; audience: string | null; fanout: string };
  }
  const deliveriesOf = async (eventId: number) => (await backend.ctx.db('event_deliveries').where({ event_id: eventId }).select('subscription_id')).map((d) => d.subscription_id).sort();

  beforeAll(async () => {
    backend = setup.backend;
    receiver = await startWebhookReceiver();
    bot = await createTelegramBot(backend, setup.standin);
    // The Telegram loop reconciles the new token and starts polling the stand-in.
    backend.ctx.wakeups.wake('telegram');
    for (const name of ['a', 'b'] as const) {
      const created = await api('POST', '/subscriptions', { url: `${receiver.url}/${name}`, events: ['*'] });
      expect(created.status).toBe(201);
      subscriptions[name] = created.body.subscription.id;
    }
  });
  afterAll(() => receiver.close());

  it('starts with the bot, and walks handover → assigned → returned → closed with its events and trace', async () => {
    const { leadId } = await newPerson();
    const first = await conversation(leadId, '', 'GET');
    expect(first.status).toBe(200);
    expect(first.body.conversation).toMatchObject({ leadId, state: 'bot', sessionId: expect.stringMatching(/^ses_/), context: {}, hold: null, handover: null, operator: null });
    const sessionId = first.body.conversation.sessionId;

    const handover = await conversation(leadId, '/handover', 'POST', { reason: 'refund question', team: 'billing', priority: 'high' });
    expect(handover.status).toBe(200);
    expect(handover.body.conversation).toMatchObject({ state: 'waiting', handover: { reason: 'refund question', team: 'billing', priority: 'high', waitingSince: expect.any(String) } });
    expect((await conversation(leadId, '/handover', 'POST', {})).status).toBe(409);

    const assigned = await conversation(leadId, '/assign', 'POST', { operator: 'ann@example.com' });
    expect(assigned.body.conversation).toMatchObject({ state: 'assigned', operator: { id: 'ann@example.com' }, handover: { team: 'billing' } });
    const returned = await conversation(leadId, '/return');
    expect(returned.body.conversation).toMatchObject({ state: 'bot', sessionId, operator: null });
    expect((await conversation(leadId, '/return')).status).toBe(409);

    const closed = await conversation(leadId, '/close');
    expect(closed.body.conversation.sessionId).not.toBe(sessionId);

    const types = ['conversation.handover_requested', 'conversation.assigned', 'conversation.returned', 'conversation.closed'];
    const got = await eventually(() => {
      const events = receivedBy('a').filter((e) => e.lead?.id === leadId && e.type.startsWith('conversation.'));
      return events.length === 4 ? events : undefined;
    });
    expect(got.map((e) => e.type)).toEqual(types);
    expect(got[0].data).toMatchObject({ reason: 'refund question', team: 'billing', priority: 'high', source: 'workflow', sessionId });
    expect(got[3].data).toMatchObject({ sessionId, nextSessionId: closed.body.conversation.sessionId });
    const trace = await api('GET', `/traces/${handover.body.trace_id}`);
    expect(trace.body.hops.map((h: { hop: string }) => h.hop)).toContain('conversation.handover_requested');
  });

  it('writes no row for a person who only talks to the bot, and still answers state bot with a stable session', async () => {
    const { chatId, leadId } = await newPerson();
    const again = await write(chatId, leadId, 'what are your opening hours?');
    expect(again.audience).toBeNull();
    const first = (await conversation(leadId, '', 'GET')).body.conversation;
    expect(first).toMatchObject({ leadId, state: 'bot', sessionId: expect.stringMatching(/^ses_/), hold: null, handover: null, operator: null });
    expect((await conversation(leadId, '', 'GET')).body.conversation.sessionId).toBe(first.sessionId);
    const lead = (await api('GET', `/leads/${leadId}`)).body.lead;
    const key = lead.userId ? `user:${lead.userId}` : `lead:${leadId}`;
    expect(await backend.ctx.db('conversations').where({ bot_id: bot.botId, person_key: key })).toHaveLength(0);

    const held = await conversation(leadId, '/context', 'PATCH', { context: { step: 1 } });
    expect(held.body.conversation.sessionId).toBe(first.sessionId);
    expect(await backend.ctx.db('conversations').where({ bot_id: bot.botId, person_key: key })).toHaveLength(1);
  });

  it('refuses bad input with 422 and an unknown lead with 404', async () => {
    const { leadId } = await newPerson();
    const bad = await conversation(leadId, '/handover', 'POST', { priority: 'asap' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('priority');
    expect((await conversation(leadId, '/hold', 'POST', { subscriptionId: 'nope' })).status).toBe(422);
    expect((await conversation(leadId, '/hold', 'POST', { subscriptionId: `sub_${'0'.repeat(24)}` })).status).toBe(404);
    expect((await conversation(`ld_${'x'.repeat(16)}`, '', 'GET')).status).toBe(404);
    expect((await conversation(leadId, '/context', 'PATCH', { context: { big: 'x'.repeat(17_000) } })).status).toBe(422);
  });

  it('routes a held person\'s messages to the holder alone, and to everyone again once released', async () => {
    const { chatId, leadId } = await newPerson();
    const held = await conversation(leadId, '/hold', 'POST', { subscriptionId: subscriptions.a, ttlSeconds: 300 });
    expect(held.body.conversation).toMatchObject({ state: 'held', hold: { subscriptionId: subscriptions.a } });
    expect((await conversation(leadId, '/hold', 'POST', { subscriptionId: subscriptions.b })).status).toBe(409);
    expect((await conversation(leadId, '/release', 'POST', { subscriptionId: subscriptions.b })).status).toBe(409);

    const during = await write(chatId, leadId, 'my name is Ann');
    expect(during.audience).toBe(subscriptions.a);
    expect(await deliveriesOf(during.id)).toEqual([subscriptions.a]);

    expect((await conversation(leadId, '/release', 'POST', { subscriptionId: subscriptions.a })).body.conversation.state).toBe('bot');
    const after = await write(chatId, leadId, 'thanks');
    expect(await deliveriesOf(after.id)).toEqual([subscriptions.a, subscriptions.b].sort());
    await eventually(() => textsTo('b', leadId).includes('thanks'));
    expect(textsTo('b', leadId)).not.toContain('my name is Ann');
  });

  it('lets a hold expire: the next message goes to everyone and conversation.released says expired', async () => {
    const { chatId, leadId } = await newPerson();
    const held = await conversation(leadId, '/hold', 'POST', { subscriptionId: subscriptions.a, ttlSeconds: 1 });
    const expiresAt = Date.parse(held.body.conversation.hold.expiresAt);
    await eventually(() => Date.now() > expiresAt + 50, 5_000);
    const after = await write(chatId, leadId, 'still there?');
    expect(after.audience).toBeNull();
    expect(await deliveriesOf(after.id)).toEqual([subscriptions.a, subscriptions.b].sort());
    const released = await eventually(() => receivedBy('b').find((e) => e.lead?.id === leadId && e.type === 'conversation.released'));
    expect(released.data).toMatchObject({ reason: 'expired', subscriptionId: subscriptions.a });
    expect((await conversation(leadId, '', 'GET')).body.conversation.state).toBe('bot');
  });

  it('gives no workflow the messages of a person with an operator; the keyword asks for one; the reply reaches the chat', async () => {
    const { chatId, leadId } = await newPerson();
    const asked = await write(chatId, leadId, 'Operator');
    expect(asked.audience).toBe('operator');
    expect(await deliveriesOf(asked.id)).toEqual([]);
    await eventually(() => bot.telegram.messagesTo(chatId).some((m) => m.text === 'An operator will answer you here soon.'));
    const waiting = (await conversation(leadId, '', 'GET')).body.conversation;
    expect(waiting).toMatchObject({ state: 'waiting', handover: { reason: 'the person asked for an operator', priority: 'normal' } });

    const question = await write(chatId, leadId, 'where is my order {{ lead.id }}?');
    expect(await deliveriesOf(question.id)).toEqual([]);

    const reply = await conversation(leadId, '/reply', 'POST', { operator: 'bob@example.com', text: 'Hi, {{ it }} is on its way' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ messageId: expect.stringMatching(/^msg_/), conversation: { state: 'assigned', operator: { id: 'bob@example.com' } } });
    await eventually(() => bot.telegram.messagesTo(chatId).some((m) => m.text === 'Hi, {{ it }} is on its way'));
    expect((await conversation(leadId, '/reply', 'POST', { operator: 'eve@example.com', text: 'me too' })).status).toBe(409);

    const queue = await api('GET', '/conversations?state=assigned&operator=bob@example.com');
    expect(queue.body.conversations.map((c: { leadId: string }) => c.leadId)).toEqual([leadId]);
    const kept = (await conversation(leadId, '/messages?limit=10', 'GET')).body.messages as Array<{ direction: string; body: { text: string }; sessionId: string }>;
    expect(kept.every((m) => m.sessionId === waiting.sessionId)).toBe(true);
    expect(kept.map((m) => [m.direction, m.body.text])).toEqual([
      ['in', 'Operator'],
      ['in', 'where is my order {{ lead.id }}?'],
      ['out', 'Hi, {{ it }} is on its way'],
    ]);
    const replied = await eventually(() => receivedBy('a').find((e) => e.lead?.id === leadId && e.type === 'operator.replied'));
    expect(replied.data).toMatchObject({ operator: 'bob@example.com', messageId: reply.body.messageId });
    expect(textsTo('a', leadId)).toEqual(['hello']);

    await conversation(leadId, '/return');
    const back = await write(chatId, leadId, 'ok bot');
    expect(await deliveriesOf(back.id)).toEqual([subscriptions.a, subscriptions.b].sort());
  });

  it('uses the bot\'s own handover keyword once set', async () => {
    const set = await api('PUT', '/conversation-settings', { handoverKeyword: 'human', handoverReply: 'Wait a moment' });
    expect(set.status).toBe(200);
    const { chatId, leadId } = await newPerson();
    expect((await write(chatId, leadId, 'operator')).audience).toBeNull();
    expect((await write(chatId, leadId, ' HUMAN ')).audience).toBe('operator');
    await eventually(() => bot.telegram.messagesTo(chatId).some((m) => m.text === 'Wait a moment'));
    await api('PUT', '/conversation-settings', {});
  });

  it('keeps session context apart from the attributes: merge, remove with null, replace', async () => {
    const { leadId } = await newPerson();
    await conversation(leadId, '/context', 'PATCH', { context: { step: 'email', tries: 1 } });
    const merged = await conversation(leadId, '/context', 'PATCH', { context: { tries: null, email: 'a@b.c' } });
    expect(merged.body.conversation.context).toEqual({ step: 'email', email: 'a@b.c' });
    const replaced = await conversation(leadId, '/context', 'PATCH', { context: { only: true }, replace: true });
    expect(replaced.body.conversation.context).toEqual({ only: true });
    expect((await api('GET', `/leads/${leadId}`)).body.lead.attributes).toEqual({});
    const closed = await conversation(leadId, '/close');
    expect(closed.body.conversation.context).toEqual({});
  });

  it('lets exactly one of two simultaneous takeovers win, and one of two simultaneous holds', async () => {
    const { leadId } = await newPerson();
    await conversation(leadId, '/handover', 'POST', {});
    const takes = await Promise.all(['ann@example.com', 'bob@example.com'].map((operator) => conversation(leadId, '/assign', 'POST', { operator })));
    expect(takes.map((t) => t.status).sort()).toEqual([200, 409]);
    const winner = takes.find((t) => t.status === 200)!.body.conversation.operator.id;
    expect((await conversation(leadId, '', 'GET')).body.conversation.operator.id).toBe(winner);
    const assignedEvents = await backend.ctx.db('events').where({ lead_id: leadId, type: 'conversation.assigned' });
    expect(assignedEvents).toHaveLength(1);

    const other = await newPerson();
    const holds = await Promise.all([subscriptions.a, subscriptions.b].map((subscriptionId) => conversation(other.leadId, '/hold', 'POST', { subscriptionId })));
    expect(holds.map((h) => h.status).sort()).toEqual([200, 409]);
  });

  it('keeps every conversation for a new runtime on the same database', async () => {
    const { leadId } = await newPerson();
    await conversation(leadId, '/handover', 'POST', { team: 'support', priority: 'urgent' });
    await conversation(leadId, '/context', 'PATCH', { context: { order: 42 } });
    const before = (await conversation(leadId, '', 'GET')).body.conversation;
    const rows = await backend.ctx.db('conversations').where({ bot_id: bot.botId }).orderBy('person_key');

    const second = await startServer({ config: loadConfig({ PORT: '0', LOG_LEVEL: 'silent', WORKERS_ENABLED: 'false', SECRET_KEY: 'a'.repeat(64), ...sameDatabaseAs(backend) }) });
    try {
      const request = jsonRequest(second.url);
      const read = await request('GET', `/api/v1/bots/${bot.botId}/leads/${leadId}/conversation`, { token: bot.token });
      expect(read.body.conversation).toEqual(before);
      expect(await second.ctx.db('conversations').where({ bot_id: bot.botId }).orderBy('person_key')).toEqual(rows);
    } finally {
      await second.close();
    }
  });
});
