import { createToken } from '../../src/bots/tokens';
import { seedLinkedLeads } from '../support/delivery';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { historyWriter } from './history';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

const map = {
  name: 'Shop',
  endpoints: [
    { alias: 'promo/offer', purpose: 'An offer', owner: 'marketing', params: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } }, goal: { alias: 'payments/succeeded', withinHours: 72 } },
    { alias: 'payments/succeeded', purpose: 'A payment', owner: 'billing' },
  ],
};

describe(`analytics figures on a seeded history (${dialect})`, () => {
  const clock = new ManualClock(T0);
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const get = (path: string, t = token) => backend.request('GET', `/api/v1/bots/${botId}/analytics${path}`, { token: t });

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot({ map }));
    await backend.ctx.db('bots').where({ id: botId }).update({ timezone: 'Europe/Moscow' });
    const [l1, l2, l3, l4] = await seedLinkedLeads(backend.ctx.db, botId, [1, 2, 3, 4], T0);
    const h = historyWriter(backend, clock, botId, token);

    // 12:00 UTC: four offers; the CRM repeats u1's with its Idempotency-Key (one call), and sends one with bad params (refused).
    const [t1, t2, t3, t4] = [await h.call('promo/offer', 'u1', { key: 'k1' }), await h.call('promo/offer', 'u2'), await h.call('promo/offer', 'u3'), await h.call('promo/offer', 'u4')];
    await h.call('promo/offer', 'u1', { key: 'k1' });
    await h.call('promo/offer', 'u1', { params: { userId: 42 } });
    // 12:01: u1 gets it, u2 after a retry, u3's chat fails; u4 is paused until 14:00.
    h.at(T0 + MINUTE);
    await h.outcome(t1, l1, 'sent');
    await h.outcome(t2, l2, 'sent', { attempts: 2 });
    await h.outcome(t3, l3, 'failed');
    // 12:06: u1 answers after 5 minutes; Telegram redelivers that update; u1 writes again (not a first answer).
    h.at(T0 + 6 * MINUTE);
    expect(await h.answer(l1, { text: 'yes' }, 'u1-a')).toBe(true);
    expect(await h.answer(l1, { text: 'yes' }, 'u1-a')).toBe(false);
    await h.answer(l1, { text: 'and more' });
    // 14:00 the pause ends and u4 gets it; 14:10 u4 taps 4 on the rating question.
    h.at(T0 + 2 * HOUR);
    await h.outcome(t4, l4, 'sent');
    h.at(T0 + 2 * HOUR + 10 * MINUTE);
    await h.answer(l4, { button: 'rating:4' });
    // 15:00 u1 pays (converts); 21:30 UTC = 00:30 next day in Moscow, someone else pays.
    h.at(T0 + 3 * HOUR);
    await h.call('payments/succeeded', 'u1');
    h.at(T0 + 9.5 * HOUR);
    await h.call('payments/succeeded', 'u9');
    // 30 h after its send u2 answers (late), and pays after 80 h (too late for the goal).
    h.at(T0 + 30 * HOUR + MINUTE);
    await h.answer(l2, { text: 'sorry, late' });
    h.at(T0 + 80 * HOUR);
    await h.call('payments/succeeded', 'u2');
  });
  afterAll(() => backend.close());

  const window = `from=${new Date(T0 - HOUR).toISOString()}&to=${new Date(T0 + 4 * 24 * HOUR).toISOString()}`;

  it('gives the bot figures computed by hand', async () => {
    const answer = await get(`?${window}`);
    expect(answer.status).toBe(200);
    const f = answer.body.figures;
    expect(answer.body.window).toEqual({ from: '2026-11-21T11:00:00.000Z', to: '2026-11-25T12:00:00.000Z', timezone: 'Europe/Moscow' });
    expect(f.delivery).toMatchObject({ sent: 3, failed: 1, rate: 0.75, sentWithReceipts: 0, deliveredRate: null });
    // Answered: u1 after 5 min, u4 after 10 min, u2 after 30 h; engaged within 24 h: two of three.
    expect(f.engagement).toEqual({ hours: 24, recipients: 3, engaged: 2, rate: 2 / 3, answeredEver: 3 });
    expect(f.responseTime).toMatchObject({ answers: 3, medianSeconds: 600, p90Seconds: 172_800 });
    expect(f.responseTime.histogram.filter((b: { count: number }) => b.count > 0)).toEqual([
      { upToSeconds: 300, count: 1 },
      { upToSeconds: 600, count: 1 },
      { upToSeconds: 172_800, count: 1 },
    ]);
    expect(f.conversion).toEqual({ recipients: 3, converted: 1, rate: 1 / 3 });
    expect(f.csat).toEqual({ ratings: 1, average: 4, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 } });
    // Errors: one failed message of 3 sent + 1 failed + 7 accepted calls (the refused one is not stored).
    expect(f.errors).toEqual({ messagesFailed: 1, webhooksExhausted: 0, calls: 7, webhooks: 0, all: 11, rate: 1 / 11 });
    expect((await get(`?${window}&engagementHours=48`)).body.figures.engagement).toMatchObject({ engaged: 3, rate: 1 });
  });

  it('splits them per communication and per channel', async () => {
    const { communications } = (await get(`/communications?${window}`)).body;
    expect(communications.map((c: { alias: string }) => c.alias)).toEqual(['promo/offer', 'payments/succeeded']);
    expect(communications[0].figures.errors).toMatchObject({ calls: 4, all: 8, rate: 1 / 8 });
    expect(communications[1].figures).toMatchObject({ delivery: { sent: 0 }, errors: { calls: 3 }, conversion: { recipients: 0, rate: null } });
    const { channels } = (await get(`/channels?${window}`)).body;
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({ channel: 'telegram', figures: { delivery: { sent: 3, failed: 1 }, csat: { ratings: 1 } } });
  });

  it("buckets by day and week in the bot's time zone", async () => {
    const days = (await get(`/series?bucket=day&${window}`)).body;
    expect(days.series.map((p: { start: string; figures: { errors: { calls: number }; delivery: { sent: number } } }) => [p.start, p.figures.errors.calls, p.figures.delivery.sent])).toEqual([
      ['2026-11-20T21:00:00.000Z', 5, 3], // 21 Nov in Moscow: four offers, u1's payment; the three sends
      ['2026-11-21T21:00:00.000Z', 1, 0], // 00:30 on 22 Nov in Moscow
      ['2026-11-23T21:00:00.000Z', 1, 0], // u2's late payment, 23:00 on 24 Nov in Moscow
    ]);
    const hours = (await get(`/series?bucket=hour&${window}&alias=promo/offer`)).body.series;
    expect(hours.map((p: { start: string }) => p.start)).toEqual(['2026-11-21T12:00:00.000Z', '2026-11-21T14:00:00.000Z']);
    expect(hours[1].figures).toMatchObject({ delivery: { sent: 1 }, responseTime: { medianSeconds: 600 }, csat: { ratings: 1 } });
    const weeks = (await get(`/series?bucket=week&${window}`)).body.series;
    // Monday 23 Nov 00:00 Moscow starts the second week.
    expect(weeks.map((p: { start: string; figures: { errors: { calls: number } } }) => [p.start, p.figures.errors.calls])).toEqual([
      ['2026-11-15T21:00:00.000Z', 6],
      ['2026-11-22T21:00:00.000Z', 1],
    ]);
  });

  it('refuses a bad window with every error, and a token without the analytics scope', async () => {
    expect((await get(`?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z`)).status).toBe(422);
    expect((await get('?engagementHours=5')).body.errors[0]).toMatchObject({ path: 'engagementHours' });
    expect((await get(`/series?bucket=hour&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z`)).status).toBe(422);
    const messagesOnly = await createToken(backend.ctx, { botId, scopes: ['messages', 'maps', 'traces'] });
    expect((await get('', messagesOnly.token)).status).toBe(403);
    const analyticsOnly = await createToken(backend.ctx, { botId, scopes: ['analytics'] });
    expect((await get(`?${window}`, analyticsOnly.token)).status).toBe(200);
    const aliasToken = await createToken(backend.ctx, { botId, aliases: ['promo/*'] });
    expect((await get('', aliasToken.token)).status).toBe(403);
    const aliasWithScope = await createToken(backend.ctx, { botId, aliases: ['promo/*'], scopes: ['analytics'] });
    expect((await get('', aliasWithScope.token)).body).toMatchObject({ success: false, message: 'Analytics need a token for every alias of the bot' });
  });
});
