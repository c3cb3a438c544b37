import type { Clock } from '../../src/platform/clock';
import { loadConfig } from '../../src/platform/config/config';
import { runOperatorTimeoutsOnce } from '../../src/conversations/timeouts';
import { startServer } from '../../src/server';
import { createTelegramBot, sameDatabaseAs, startDeliveryBackend, type StandinBot, TelegramStandin } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect, type TestBackend } from '../support/test-backend';

/** Real time, plus a jump the test makes: the backend's loops keep running while minutes pass at once. */
class JumpClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  jump(ms: number): void {
    this.offset += ms;
  }
}

const MINUTE = 60_000;

/**
 * The operator timeout and the rating question after a close, through the real pipeline: people
 * write and tap in the Telegram stand-in, the backend's own timeout loop runs (and a second
 * runtime on the same database runs it at the same time), notices and questions reach the chat.
 */
describe(`conversations: operator timeout and CSAT after a close (${dialect})`, () => {
  const clock = new JumpClock();
  let standin: TelegramStandin;
  let backend: TestBackend;
  let bot: { botId: number; token: string; telegram: StandinBot };
  let chat = 9100;

  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${bot.botId}${path}`, { token: bot.token, body });
  const conversation = (leadId: string, suffix = '', method = 'POST', body?: unknown) => api(method, `/leads/${leadId}/conversation${suffix}`, body);
  const textsTo = (chatId: number) => bot.telegram.messagesTo(chatId).map((m) => m.text);
  const settings = (body: Record<string, unknown>) => api('PUT', '/conversation-settings', body);
  const eventsOf = (leadId: string, type: string) => backend.ctx.db('events').where({ lead_id: leadId, type }).orderBy('id');

  async function newPerson(profile: { language_code?: string } = {}): Promise<{ chatId: number; leadId: string }> {
    const chatId = ++chat;
    bot.telegram.setUser(chatId, profile);
    bot.telegram.userSends(chatId, 'hello');
    const lead = await eventually(async () => (await api('GET', `/leads?chatId=${chatId}`)).body.leads?.[0]);
    return { chatId, leadId: lead.id };
  }

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin, {}, clock);
    bot = await createTelegramBot(backend, standin);
    backend.ctx.wakeups.wake('telegram');
  });
  afterAll(async () => {
    await backend?.close();
    await standin?.close();
  });

  it('refuses a bad timeout setting with 422', async () => {
    const bad = await settings({ operatorTimeoutMinutes: 0 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('operatorTimeoutMinutes');
    expect((await settings({ onTimeout: 'shout' })).status).toBe(422);
  });

  it('tells a waiting person once, in their language, that nobody answered in time, and keeps them waiting (notify)', async () => {
    expect((await settings({ operatorTimeoutMinutes: 5, timeoutNotice: { default: 'Still busy, sorry', ru: 'Все операторы заняты' } })).status).toBe(200);
    const { chatId, leadId } = await newPerson({ language_code: 'ru' });
    bot.telegram.userSends(chatId, 'operator');
    const waiting = await eventually(async () => {
      const read = (await conversation(leadId, '', 'GET')).body.conversation;
      return read.state === 'waiting' ? read : undefined;
    });
    const timeout = Date.parse(waiting.handover.timesOutAt) - Date.parse(waiting.handover.waitingSince);
    expect(timeout).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(timeout).toBeLessThan(5 * MINUTE + 5_000);

    clock.jump(4 * MINUTE);
    expect(await runOperatorTimeoutsOnce(backend.ctx)).toBe(false);
    expect(textsTo(chatId)).not.toContain('Все операторы заняты');

    clock.jump(2 * MINUTE);
    await eventually(() => textsTo(chatId).includes('Все операторы заняты'), 10_000);
    await runOperatorTimeoutsOnce(backend.ctx);
    clock.jump(10 * MINUTE);
    await runOperatorTimeoutsOnce(backend.ctx);
    expect(textsTo(chatId).filter((t) => t === 'Все операторы заняты')).toHaveLength(1);
    expect(textsTo(chatId)).not.toContain('Still busy, sorry');
    expect((await conversation(leadId, '', 'GET')).body.conversation).toMatchObject({ state: 'waiting', handover: { timesOutAt: null } });
    const hop = await eventually(() => backend.ctx.db('trace_hops').where({ lead_id: leadId, hop: 'conversation.timed_out' }).first());
    expect(JSON.parse(hop.detail)).toMatchObject({ previousState: 'waiting', onTimeout: 'notify', waitedMinutes: 6 });
  });

  it('returns an unanswered conversation to the bot once with two runtimes racing, and an operator\'s reply cancels the timeout (return)', async () => {
    await settings({ operatorTimeoutMinutes: 5, onTimeout: 'return' });
    const unanswered = await newPerson();
    const answered = await newPerson();
    for (const person of [unanswered, answered]) await conversation(person.leadId, '/handover', 'POST', { team: 'support' });
    await conversation(unanswered.leadId, '/assign', 'POST', { operator: 'ann@example.com' });
    expect((await conversation(answered.leadId, '/reply', 'POST', { operator: 'bob@example.com', text: 'On it' })).status).toBe(200);

    // On PostgreSQL a second runtime that never saw these handovers races this one's loop and
    // passes; SQLite has a single backend process (docs/scaling.md), so passes of this one race.
    const second = dialect === 'postgresql' ? await startServer({ config: loadConfig({ PORT: '0', LOG_LEVEL: 'silent', WORKERS_ENABLED: 'false', SECRET_KEY: 'a'.repeat(64), ...sameDatabaseAs(backend) }), clock }) : backend;
    try {
      clock.jump(6 * MINUTE);
      await Promise.all([runOperatorTimeoutsOnce(second.ctx), runOperatorTimeoutsOnce(backend.ctx), runOperatorTimeoutsOnce(second.ctx)]);
    } finally {
      if (second !== backend) await second.close();
    }
    expect((await conversation(unanswered.leadId, '', 'GET')).body.conversation.state).toBe('bot');
    const returned = await eventsOf(unanswered.leadId, 'conversation.returned');
    expect(returned).toHaveLength(1);
    expect(JSON.parse(returned[0].payload)).toMatchObject({ reason: 'timeout', operator: 'ann@example.com', previousState: 'assigned' });
    const notice = 'Sorry, our operators are busy right now. We have not forgotten you.';
    await eventually(() => textsTo(unanswered.chatId).includes(notice), 10_000);
    expect(textsTo(unanswered.chatId).filter((t) => t === notice)).toHaveLength(1);

    expect((await conversation(answered.leadId, '', 'GET')).body.conversation).toMatchObject({ state: 'assigned', operator: { id: 'bob@example.com' } });
    expect(textsTo(answered.chatId)).not.toContain(notice);
    await settings({});
  });

  it('asks to rate a closed conversation, records the tap once with its operator and team, and reads CSAT per operator and team', async () => {
    const { chatId, leadId } = await newPerson();
    await conversation(leadId, '/handover', 'POST', { team: 'billing' });
    await conversation(leadId, '/reply', 'POST', { operator: 'ann@example.com', text: 'Refund done' });
    const sessionId = (await conversation(leadId, '', 'GET')).body.conversation.sessionId;
    expect((await conversation(leadId, '/close')).status).toBe(200);

    const question = await eventually(() => bot.telegram.messagesTo(chatId).find((m) => m.text?.startsWith('How did we do?')));
    const buttons = (question.replyMarkup?.inline_keyboard as Array<Array<{ callback_data: string }>>)[0].map((b) => b.callback_data);
    expect(buttons).toEqual([1, 2, 3, 4, 5].map((n) => `rating:${n}:${sessionId}`));

    const tap = bot.telegram.tapButton(chatId, `rating:4:${sessionId}`);
    const [rated] = await eventually(async () => ((await eventsOf(leadId, 'rating.given')).length === 1 ? eventsOf(leadId, 'rating.given') : undefined));
    expect(JSON.parse(rated.payload)).toMatchObject({ rating: 4, conversationId: sessionId, operator: 'ann@example.com', team: 'billing' });
    expect((await backend.ctx.db('trace_hops').where({ trace_id: rated.trace_id, hop: 'rating.given' })).length).toBe(1);
    await eventually(() => bot.telegram.callbackAnswer(tap.callbackQueryId));

    bot.telegram.tapButton(chatId, `rating:1:${sessionId}`);
    await eventually(async () => (await eventsOf(leadId, 'button.pressed')).length === 2);
    expect(await eventsOf(leadId, 'rating.given')).toHaveLength(1);

    const byOperator = await api('GET', '/analytics/csat?by=operator');
    expect(byOperator.status).toBe(200);
    expect(byOperator.body.groups).toEqual([{ key: 'ann@example.com', ratings: 1, average: 4, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 } }]);
    expect((await api('GET', '/analytics/csat?by=team')).body.groups).toMatchObject([{ key: 'billing', ratings: 1, average: 4 }]);
    expect((await api('GET', '/analytics/csat?by=mood')).status).toBe(422);
  });

  it('asks nothing once the bot turned CSAT off, nor after a session no human had', async () => {
    const { leadId } = await newPerson();
    const sends = async () => (await backend.ctx.db('message_recipients').where({ lead_id: leadId })).length;
    await conversation(leadId, '/close');
    expect(await sends()).toBe(0);

    await settings({ csat: false });
    await conversation(leadId, '/handover', 'POST', {});
    await conversation(leadId, '/close');
    expect(await sends()).toBe(0);
    await settings({});
  });
});
