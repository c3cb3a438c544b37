import crypto from 'node:crypto';
import { fanOutEvents } from '../../src/events/fanout';
import { recordEvent } from '../../src/events/outbox';
import { runEventsOnce } from '../../src/events/worker';
import { verifyWebhook } from '../../src/events/signature';
import { startServer, type RunningServer } from '../../src/server';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** The background loop as it runs in production: woken by recorded events, with a clock the test moves. */
describe(`events loop with workers running (${dialect})`, () => {
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  const clock = new ManualClock();
  const secretKey = crypto.randomBytes(32).toString('hex');

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { SECRET_KEY: secretKey } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await backend.close();
  });

  async function subscribe() {
    const bot = await backend.createBot();
    const created = await backend.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, { token: bot.token, body: { url: receiver.url, events: ['*'] } });
    return { ...bot, secret: created.body.subscription.secret as string };
  }

  it('stores the secret sealed under SECRET_KEY and still signs with it', async () => {
    const bot = await subscribe();
    const stored = await backend.ctx.db('subscriptions').where({ bot_id: bot.botId }).first();
    expect(stored.secret).not.toContain(bot.secret);
    const before = receiver.received.length;
    await recordEvent(backend.ctx.db, backend.ctx, { botId: bot.botId, type: 'bot.started', traceId: 'tr-sealed', leadId: 'ld_1', payload: { startPayload: 'x' } });
    const got = (await receiver.waitFor(before + 1))[before];
    expect(() => verifyWebhook(bot.secret, got.headers['x-metabot-delivery'] as string, got.rawBody, got.headers['x-metabot-signature'] as string, Math.floor(clock.now() / 1000))).not.toThrow();
  });

  it('receiver down, then up: everything arrives once, in order per lead', async () => {
    const bot = await subscribe();
    await receiver.down();
    const ids: number[] = [];
    for (let n = 0; n < 5; n += 1) {
      ids.push(await recordEvent(backend.ctx.db, backend.ctx, { botId: bot.botId, type: 'message.received', traceId: `tr-down-${n}`, leadId: 'ld_down', payload: { text: `m${n}` } }));
    }
    const chain = () => backend.ctx.db('event_deliveries').where({ bot_id: bot.botId }).orderBy('event_id');
    await waitUntil(async () => {
      const rows = await chain();
      return rows.length === 5 && rows[0].attempts > 0;
    });
    const failed = await chain();
    expect(failed.map((d) => d.attempts)).toEqual([1, 0, 0, 0, 0]);
    expect(failed[0].last_error).toBe('connection refused or timed out');

    await receiver.up();
    const before = receiver.received.length;
    clock.advance(5_000);
    backend.ctx.wakeups.wake('events');
    const got = (await receiver.waitFor(before + 5)).slice(before);
    expect(got.map((r) => r.body.id)).toEqual(ids);
    expect(new Set(got.map((r) => r.headers['x-metabot-delivery'])).size).toBe(5);
    await waitUntil(async () => (await backend.ctx.db('event_deliveries').where({ bot_id: bot.botId, status: 'delivered' })).length === 5);
  });

  (dialect === 'postgresql' ? it : it.skip)('woken by a stream of events it runs at most every 20 ms, and each run takes what gathered', async () => {
    const { botId } = await backend.createBot();
    let runs = 0;
    const countRuns = (query: { sql: string }) => void (/awaiting_answer/.test(query.sql) && (runs += 1));
    backend.ctx.db.on('query', countRuns);
    const started = performance.now();
    for (let n = 0; n < 100; n += 1) {
      await recordEvent(backend.ctx.db, backend.ctx, { botId, type: 'message.received', traceId: `tr-stream-${n}`, leadId: `ld_s${n % 5}`, payload: { n } });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const elapsed = performance.now() - started;
    await waitUntil(async () => (await backend.ctx.db('events').where({ bot_id: botId }).whereNull('fanout')).length === 0);
    backend.ctx.db.off('query', countRuns);
    // 100 wake-ups; the answers loop fans out too, every 500 ms.
    expect(runs).toBeLessThanOrEqual(Math.ceil(elapsed / 20) + Math.ceil(elapsed / 500) + 2);
  });

  (dialect === 'postgresql' ? it : it.skip)('two backend processes on one database deliver each event exactly once', async () => {
    const bot = await subscribe();
    const second: RunningServer = await startServer({ config: { ...backend.ctx.config, PORT: 0 }, clock });
    try {
      const before = receiver.received.length;
      const leads = ['ld_p1', 'ld_p2', 'ld_p3', 'ld_p4'];
      const ids: number[] = [];
      for (let n = 0; n < 60; n += 1) {
        const ctx = n % 2 ? second.ctx : backend.ctx;
        ids.push(await recordEvent(ctx.db, ctx, { botId: bot.botId, type: 'message.received', traceId: `tr-two-${n}`, leadId: leads[n % 4], payload: { n } }));
      }
      const got = (await receiver.waitFor(before + 60, 20_000)).slice(before);
      expect(got.map((r) => r.body.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      for (const lead of leads) {
        const order = got.filter((r) => leads[r.body.data.n % 4] === lead).map((r) => r.body.id);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    } finally {
      await second.close();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Both loops fan out; whichever did, the events loop must not wait for its tick to deliver. */
describe(`fan-out by another loop (${dialect})`, () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
  });
  afterAll(() => backend.close());

  it('wakes the events loop once the deliveries it made are committed, and only for them', async () => {
    const bot = await backend.createBot();
    await backend.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, { token: bot.token, body: { url: 'http://127.0.0.1:9/webhook', events: ['message.received'] } });
    const wakes: number[] = [];
    const stop = backend.ctx.wakeups.onWake('events', () => wakes.push(Date.now()));
    const insertEvent = (type: string) =>
      backend.ctx.db('events').insert({ bot_id: bot.botId, type, trace_id: `tr-${type}`, lead_id: 'ld_w', payload: '{}', created_at: Date.now() });

    await insertEvent('bot.started');
    expect(await fanOutEvents(backend.ctx)).toBe(1);
    expect(wakes).toHaveLength(0);

    await insertEvent('message.received');
    expect(await fanOutEvents(backend.ctx)).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(wakes).toHaveLength(1);
    expect(await backend.ctx.db('event_deliveries').where({ bot_id: bot.botId })).toHaveLength(1);
    stop();
  });
});

/** What the loop runner (workers.ts) is told after a run: go on at once, or wait for a wake-up after its spacing. */
describe(`a pass of the events loop (${dialect})`, () => {
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await backend.close();
  });

  it('asks to run again at once after a delivery (the next of its lead may be due), not after finding nothing', async () => {
    const bot = await backend.createBot();
    await backend.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, { token: bot.token, body: { url: receiver.url, events: ['*'] } });
    for (let n = 0; n < 2; n += 1) {
      await recordEvent(backend.ctx.db, backend.ctx, { botId: bot.botId, type: 'message.received', traceId: `tr-pass-${n}`, leadId: 'ld_pass', payload: { n } });
    }
    expect(await runEventsOnce(backend.ctx)).toBe(true);
    expect(await runEventsOnce(backend.ctx)).toBe(true);
    expect(await runEventsOnce(backend.ctx)).toBe(false);
    expect(receiver.received.map((r) => r.body.traceId)).toEqual(['tr-pass-0', 'tr-pass-1']);
  });
});
