import { recordEvent } from '../../src/events/outbox';
import { handleInbound } from '../../src/inbound/inbound';
import { verifyWebhook, WebhookSignatureError } from '../../src/events/signature';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../../src/events/retry-schedule';
import { runEventsOnce } from '../../src/events/worker';
import { userAccountMap } from '../support/maps';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** The events loop is driven by hand here (workers off) so every step is deterministic. */
describe(`event webhook delivery (${dialect})`, () => {
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  const clock = new ManualClock();

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false', EVENT_RETENTION_HOURS: '1' } });
  });
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => receiver.close());
  afterAll(() => backend.close());

  async function botWithSubscription(subscription: { events?: string[]; aliases?: string[] } = {}) {
    const bot = await backend.createBot({ map: userAccountMap });
    const created = await backend.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, {
      token: bot.token,
      body: { url: receiver.url, events: subscription.events ?? ['*'], aliases: subscription.aliases },
    });
    expect(created.status).toBe(201);
    return { ...bot, subscriptionId: created.body.subscription.id as string, secret: created.body.subscription.secret as string };
  }

  const record = (botId: number, event: { type?: string; leadId?: string; userId?: string; traceId?: string; payload?: Record<string, unknown> }) =>
    recordEvent(backend.ctx.db, backend.ctx, { botId, type: event.type ?? 'message.received', traceId: event.traceId ?? `tr-${Math.random()}`, leadId: event.leadId, userId: event.userId, payload: event.payload ?? {} });

  const deliveries = (botId: number, status?: string) =>
    backend.ctx.db('event_deliveries').where({ bot_id: botId, ...(status ? { status } : {}) }).orderBy('event_id');

  it('POSTs a signed webhook with the documented headers and body, and traces the hop', async () => {
    const bot = await botWithSubscription();
    const call = await backend.request('POST', `/api/v1/bots/${bot.botId}/call/users/update`, { token: bot.token, body: { script_request_params: { userId: 127, role: 'admin' } } });
    expect(call.body.success).toBe(true);
    await runEventsOnce(backend.ctx);

    const [got] = await receiver.waitFor(1);
    expect(got.headers['x-metabot-event']).toBe('endpoint.called');
    expect(got.headers['x-metabot-delivery']).toMatch(/^dlv_[0-9a-f]{24}$/);
    expect(got.headers['content-type']).toBe('application/json');
    const signature = got.headers['x-metabot-signature'] as string;
    const deliveryId = got.headers['x-metabot-delivery'] as string;
    const nowSeconds = Math.floor(clock.now() / 1000);
    // The delivery id is signed (v2), and the deprecated v1 is no longer sent.
    expect(signature).toMatch(new RegExp(`^t=${nowSeconds},v2=[0-9a-f]{64}$`));
    expect(verifyWebhook(bot.secret, deliveryId, got.rawBody, signature, nowSeconds)).toBe(nowSeconds);
    expect(() => verifyWebhook(bot.secret, 'dlv_replayed', got.rawBody, signature, nowSeconds)).toThrow(expect.objectContaining({ reason: 'mismatch' }));
    expect(() => verifyWebhook('whsec_forged', deliveryId, got.rawBody, signature, nowSeconds)).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(bot.secret, deliveryId, got.rawBody, signature, nowSeconds + 6 * 60)).toThrow(expect.objectContaining({ reason: 'stale' }));
    expect(got.body).toEqual({
      id: call.body.event_id,
      type: 'endpoint.called',
      botId: bot.botId,
      traceId: call.body.trace_id,
      occurredAt: new Date(clock.now()).toISOString(),
      lead: null,
      userId: '127',
      data: expect.objectContaining({ alias: 'users/update', params: { userId: 127, role: 'admin' } }),
    });

    const [delivery] = await deliveries(bot.botId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, id: got.headers['x-metabot-delivery'] });
    const trace = await backend.request('GET', `/api/v1/bots/${bot.botId}/traces/${call.body.trace_id}`, { token: bot.token });
    expect(trace.body.hops.map((h: { hop: string; status: string }) => `${h.hop}:${h.status}`)).toEqual(['endpoint.called:accepted', 'workflow.delivered:delivered']);
  });

  it('shows the lead as it is now and its linked user for inbound events', async () => {
    const bot = await botWithSubscription({ events: ['button.pressed'] });
    await handleInbound(backend.ctx, { botId: bot.botId, channel: 'telegram', chatId: '5001', kind: 'button', data: 'order:42', profile: { firstName: 'Анна', username: 'anna' } });
    await runEventsOnce(backend.ctx);
    const [got] = await receiver.waitFor(1);
    expect(got.headers['x-metabot-event']).toBe('button.pressed');
    expect(got.body).toMatchObject({
      type: 'button.pressed',
      lead: { id: expect.stringMatching(/^ld_/), channel: 'telegram', chatId: '5001', profile: { firstName: 'Анна', username: 'anna' }, attributes: {} },
      userId: null,
      data: expect.objectContaining({ buttonData: 'order:42' }),
    });
  });

  it('retries on the schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then is exhausted; redeliver sends it again', async () => {
    const bot = await botWithSubscription();
    receiver.status = 500;
    await record(bot.botId, { leadId: 'ld_retry' });
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(1);

    for (const [index, delay] of RETRY_DELAYS_MS.entries()) {
      clock.advance(delay - 1);
      await runEventsOnce(backend.ctx);
      expect(receiver.received).toHaveLength(index + 1);
      clock.advance(1);
      await runEventsOnce(backend.ctx);
      await receiver.waitFor(index + 2);
    }
    const [exhausted] = await deliveries(bot.botId);
    expect(exhausted).toMatchObject({ status: 'exhausted', attempts: MAX_ATTEMPTS, last_status_code: 500, last_error: 'HTTP 500' });
    expect(new Set(receiver.received.map((r) => r.headers['x-metabot-delivery']))).toEqual(new Set([exhausted.id]));
    clock.advance(48 * 3_600_000);
    await runEventsOnce(backend.ctx);
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);

    const listed = await backend.request('GET', `/api/v1/bots/${bot.botId}/events/deliveries?status=exhausted`, { token: bot.token });
    expect(listed.body.deliveries).toEqual([expect.objectContaining({ id: exhausted.id, status: 'exhausted', attempts: 8, eventType: 'message.received', lastStatusCode: 500, nextAttemptAt: null })]);

    receiver.status = 204;
    const again = await backend.request('POST', `/api/v1/bots/${bot.botId}/events/deliveries/${exhausted.id}/redeliver`, { token: bot.token });
    expect(again.body.delivery).toMatchObject({ status: 'pending', attempts: 0 });
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(MAX_ATTEMPTS + 1);
    expect((await deliveries(bot.botId))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    const delivered = await backend.request('POST', `/api/v1/bots/${bot.botId}/events/deliveries/${exhausted.id}/redeliver`, { token: bot.token });
    expect(delivered.status).toBe(200);
    expect((await backend.request('POST', `/api/v1/bots/${bot.botId}/events/deliveries/${exhausted.id}/redeliver`, { token: bot.token })).status).toBe(409);
  });

  it('delivers the events of one lead in order: a later one waits for the earlier; other leads do not wait', async () => {
    const bot = await botWithSubscription();
    receiver.status = 503;
    const first = await record(bot.botId, { leadId: 'ld_a', payload: { n: 1 } });
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(1);
    receiver.status = 200;
    const second = await record(bot.botId, { leadId: 'ld_a', payload: { n: 2 } });
    const other = await record(bot.botId, { leadId: 'ld_b', payload: { n: 3 } });
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(2);
    await runEventsOnce(backend.ctx);
    expect(receiver.received.map((r) => r.body.id)).toEqual([first, other]);

    clock.advance(RETRY_DELAYS_MS[0]);
    await runEventsOnce(backend.ctx);
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(4);
    expect(receiver.received.map((r) => r.body.id)).toEqual([first, other, first, second]);
  });

  it('orders by userId when an event has no lead', async () => {
    const bot = await botWithSubscription();
    receiver.status = 500;
    const first = await record(bot.botId, { userId: '42' });
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(1);
    receiver.status = 200;
    const second = await record(bot.botId, { userId: '42' });
    await runEventsOnce(backend.ctx);
    expect(receiver.received).toHaveLength(1);
    clock.advance(RETRY_DELAYS_MS[0]);
    await runEventsOnce(backend.ctx);
    await runEventsOnce(backend.ctx);
    expect((await receiver.waitFor(3)).map((r) => r.body.id)).toEqual([first, first, second]);
  });

  it('filters endpoint.called by the alias globs and other events by type', async () => {
    const bot = await botWithSubscription({ events: ['endpoint.called', 'button.pressed'], aliases: ['payments/*'] });
    const call = (alias: string, params: Record<string, unknown>) =>
      backend.request('POST', `/api/v1/bots/${bot.botId}/call/${alias}`, { token: bot.token, body: { script_request_params: params } });
    await call('users/update', { userId: 1, role: 'user' });
    const paid = await call('payments/succeeded', { userId: 1, amount: 10 });
    await record(bot.botId, { type: 'message.received' });
    const pressed = await record(bot.botId, { type: 'button.pressed', payload: { buttonData: 'yes' } });
    await runEventsOnce(backend.ctx);
    await runEventsOnce(backend.ctx);
    const got = await receiver.waitFor(2);
    expect(got.map((r) => r.body.id).sort()).toEqual([paid.body.event_id, pressed].sort());
  });

  it('keeps an event nobody wanted and delivers it to a matching subscription created within the retention window', async () => {
    const bot = await backend.createBot({ map: userAccountMap });
    const old = await backend.request('POST', `/api/v1/bots/${bot.botId}/call/users/connect-bot`, { token: bot.token, body: { script_request_params: { userId: 7 } } });
    clock.advance(2 * 3_600_000);
    const recent = await backend.request('POST', `/api/v1/bots/${bot.botId}/call/users/connect-bot`, { token: bot.token, body: { script_request_params: { userId: 8 } } });
    await runEventsOnce(backend.ctx);
    expect(await backend.ctx.db('events').whereIn('id', [old.body.event_id, recent.body.event_id]).pluck('fanout')).toEqual(['unmatched', 'unmatched']);

    clock.advance(30 * 60_000);
    await backend.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, { token: bot.token, body: { url: receiver.url, events: ['endpoint.called'], aliases: ['users/**'] } });
    await runEventsOnce(backend.ctx);
    await runEventsOnce(backend.ctx);
    const [got] = await receiver.waitFor(1);
    expect(got.body).toMatchObject({ id: recent.body.event_id, userId: '8' });
    expect(receiver.received).toHaveLength(1);
  });

  it('drops pending deliveries when the subscription is deleted', async () => {
    const bot = await botWithSubscription();
    receiver.status = 500;
    await record(bot.botId, { leadId: 'ld_gone' });
    await runEventsOnce(backend.ctx);
    await receiver.waitFor(1);
    await backend.request('DELETE', `/api/v1/bots/${bot.botId}/subscriptions/${bot.subscriptionId}`, { token: bot.token });
    clock.advance(RETRY_DELAYS_MS[0]);
    await runEventsOnce(backend.ctx);
    expect(receiver.received).toHaveLength(1);
    expect(await deliveries(bot.botId)).toEqual([]);
  });
});
