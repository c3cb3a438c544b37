import { createTelegramBot, range, seedLinkedLeads, type SeededLead, type StandinBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

describe(`delivery under Telegram's errors and limits (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];
  const send = (body: unknown) => backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body });
  const sendAndFinish = async (body: unknown) => {
    const res = await send(body);
    expect(res.status).toBe(202);
    return { answer: res.body, status: await waitUntilDone(backend, botId, token, res.body.messageId) };
  };

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin, {
      DELIVERY_RATE_PER_SECOND: '200',
      DELIVERY_BACKOFF_BASE_MS: '50',
      DELIVERY_BACKOFF_CAP_MS: '200',
      DELIVERY_MAX_ATTEMPTS: '3',
    });
    ({ botId, token, telegram } = await createTelegramBot(backend, standin));
    leads = await seedLinkedLeads(backend.ctx.db, botId, range(1000, 100));
  });
  afterAll(async () => {
    await backend.close();
    await standin.close();
  });
  afterEach(() => standin.setLimits({ enabled: false, perBotPerSecond: 30 }));

  it('a 429 storm pauses the whole bot for retry_after and still delivers everyone exactly once', async () => {
    // Ten times faster than this Telegram allows (even a slowed-down machine exceeds 5/s), so it answers 429.
    standin.setLimits({ enabled: true, perBotPerSecond: 5 });
    await backend.ctx.db('bots').where({ id: botId }).update({ settings: JSON.stringify({ delivery: { ratePerSecond: 50 } }) });
    const targets = leads.slice(0, 40);
    const { status } = await sendAndFinish({ userIds: targets.map((l) => l.userId), text: 'storm' });
    expect(status.counts).toMatchObject({ sent: 40, failed: 0 });
    for (const lead of targets) expect(telegram.messagesTo(lead.chatId)).toHaveLength(1);
    const refused = telegram.requests.filter((r) => r.code === 429);
    expect(refused.length).toBeGreaterThan(0);
    // Within retry_after of the first 429 only the sends already in flight when it came back may
    // reach Telegram (the worker keeps at most max(2, rate/10) = 5 in flight at 50/s); on a busy
    // machine the stand-in can accept some of them once its window has moved on.
    const [first] = refused;
    const pauseEnds = first.at + first.retryAfter! * 1000;
    const acceptedDuringPause = telegram.requests.filter((r) => r.at > first.at && r.at < pauseEnds && r.code === 200);
    expect(acceptedDuringPause.length).toBeLessThanOrEqual(5);
    expect(telegram.requests.some((r) => r.at >= pauseEnds && r.code === 200)).toBe(true);
    await backend.ctx.db('bots').where({ id: botId }).update({ settings: '{}' });
  });

  it('retries 5xx and dropped connections with backoff, then succeeds', async () => {
    const [a, b] = leads.slice(60, 62);
    telegram.failNext(2, { status: 502, description: 'Bad Gateway', chatId: a.chatId });
    telegram.failNext(1, { status: 'reset', chatId: b.chatId });
    const { status } = await sendAndFinish({ userIds: [a.userId, b.userId], text: 'flaky' });
    expect(status.counts).toMatchObject({ sent: 2 });
    const byUser = Object.fromEntries(status.recipients.map((r: { userId: string }) => [r.userId, r]));
    expect(byUser[a.userId]).toMatchObject({ status: 'sent', attempts: 3, error: null });
    expect(byUser[b.userId]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(telegram.messagesTo(a.chatId)).toHaveLength(1);
    expect(telegram.messagesTo(b.chatId)).toHaveLength(1);
  });

  it('never stores the bot token in an error (network errors carry the request URL)', async () => {
    const [c] = leads.slice(68, 69);
    telegram.failNext(10, { status: 'reset', chatId: c.chatId });
    const { status } = await sendAndFinish({ userIds: [c.userId], text: 'offline' });
    expect(status.recipients[0]).toMatchObject({ status: 'failed', attempts: 3, error: expect.stringMatching(/^gave up after 3 attempts: network/) });
    const secret = telegram.token.split(':')[1];
    expect(status.recipients[0].error).not.toContain(secret);
    const failed = await backend.ctx.db('events').where({ bot_id: botId, type: 'message.failed', user_id: c.userId });
    expect(JSON.stringify(failed)).not.toContain(secret);
  });

  it('gives up after the maximum attempts with the reason, and fails a permanent error at once', async () => {
    const [a, b] = leads.slice(62, 64);
    telegram.failNext(10, { status: 500, description: 'Internal Server Error', chatId: a.chatId });
    telegram.failNext(1, { status: 400, description: 'Bad Request: chat not found', chatId: b.chatId });
    const { answer, status } = await sendAndFinish({ userIds: [a.userId, b.userId], text: 'doomed' });
    const byUser = Object.fromEntries(status.recipients.map((r: { userId: string }) => [r.userId, r]));
    expect(byUser[a.userId]).toMatchObject({ status: 'failed', attempts: 3, error: 'gave up after 3 attempts: 500 Internal Server Error' });
    expect(byUser[b.userId]).toMatchObject({ status: 'failed', attempts: 1, error: '400 Bad Request: chat not found' });
    const failed = await backend.ctx.db('events').where({ bot_id: botId, type: 'message.failed', trace_id: answer.trace_id });
    expect(failed.map((e) => e.user_id).sort()).toEqual([a.userId, b.userId].sort());
  });

  it('a user who blocked the bot: the send fails, the lead becomes unreachable with a bot.blocked event, later sends say so', async () => {
    const [blocked, fine] = leads.slice(64, 66);
    telegram.markBlocked(blocked.chatId);
    const { status } = await sendAndFinish({ userIds: [blocked.userId, fine.userId], text: 'news' });
    const byUser = Object.fromEntries(status.recipients.map((r: { userId: string }) => [r.userId, r]));
    expect(byUser[blocked.userId]).toMatchObject({ status: 'failed', error: '403 Forbidden: bot was blocked by the user' });
    expect(byUser[fine.userId]).toMatchObject({ status: 'sent' });
    expect(await backend.ctx.db('leads').where({ id: blocked.leadId }).first()).toMatchObject({ reachable: expect.anything() });
    expect(Boolean((await backend.ctx.db('leads').where({ id: blocked.leadId }).first()).reachable)).toBe(false);
    expect(await backend.ctx.db('events').where({ type: 'bot.blocked', lead_id: blocked.leadId })).toHaveLength(1);

    const again = await send({ userIds: [blocked.userId], text: 'hello?' });
    expect(again.body).toMatchObject({ success: false, message: 'User not found', inactive: [{ id: blocked.userId, reason: 'bot_blocked' }] });
  });

  it('defers non-critical messages to a paused user until the pause ends; critical ones pass at once', async () => {
    const [paused] = leads.slice(66, 67);
    const pauseEnds = Date.now() + 1500;
    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: paused.userId }).update({ paused_until: pauseEnds });
    const normal = await send({ userIds: [paused.userId], text: 'promo' });
    expect(normal.body).toMatchObject({ success: true, queued: 0, deferred: 1 });
    const critical = await sendAndFinish({ userIds: [paused.userId], text: 'your card was charged', critical: true });
    expect(critical.status.counts).toMatchObject({ sent: 1 });
    expect(telegram.messagesTo(paused.chatId).map((m) => m.text)).toEqual(['your card was charged']);
    const mid = await backend.request('GET', `/api/v1/bots/${botId}/messages/${normal.body.messageId}`, { token });
    expect(mid.body.message).toMatchObject({ status: 'queued', counts: { deferred: 1 } });

    const done = await waitUntilDone(backend, botId, token, normal.body.messageId);
    expect(done.counts).toMatchObject({ sent: 1 });
    const promo = telegram.messagesTo(paused.chatId).find((m) => m.text === 'promo')!;
    expect(promo.at).toBeGreaterThanOrEqual(pauseEnds);
  });

  it('a pause set after queuing still defers the message (checked again before sending)', async () => {
    const [later] = leads.slice(67, 68);
    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: later.userId }).update({ paused_until: Date.now() + 60_000 });
    // Queue directly by lead id but with the account paused only now: the worker sees the pause.
    const res = await send({ leadIds: [later.leadId], text: 'later' });
    expect(res.body.deferred + res.body.queued).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    const status = await backend.request('GET', `/api/v1/bots/${botId}/messages/${res.body.messageId}`, { token });
    expect(status.body.message.counts).toMatchObject({ deferred: 1, sent: 0 });
    expect(telegram.messagesTo(later.chatId)).toHaveLength(0);
  });
});
