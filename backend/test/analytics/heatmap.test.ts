import { RollupDeltas } from '../../src/analytics/counters';
import { seedLinkedLeads } from '../support/delivery';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { historyWriter } from './history';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Saturday 21 November 2026, 12:00 UTC: 15:00 in Moscow (UTC+3 all year).
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

const map = {
  name: 'Shop',
  endpoints: [
    { alias: 'promo/offer', purpose: 'An offer', owner: 'marketing', params: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } }, goal: { alias: 'payments/succeeded', withinHours: 72 } },
    { alias: 'payments/succeeded', purpose: 'A payment', owner: 'billing' },
  ],
};

interface Cell {
  weekday: number;
  hour: number;
  sent: number;
  engaged: number;
  engagementRate: number | null;
  goalRecipients: number;
  converted: number;
  conversionRate: number | null;
}
const filled = (cells: Cell[]) => cells.filter((c) => c.sent > 0);

describe(`analytics heat map: sends by weekday × local hour (${dialect})`, () => {
  const clock = new ManualClock(T0);
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const get = async (query: string, bot = botId) => backend.request('GET', `/api/v1/bots/${bot}/analytics/heatmap?${query}`, { token });

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot({ map }));
    await backend.ctx.db('bots').where({ id: botId }).update({ timezone: 'Europe/Moscow' });
    const [l1, l2, l3] = await seedLinkedLeads(backend.ctx.db, botId, [1, 2, 3], T0);
    const h = historyWriter(backend, clock, botId, token);
    // Saturday 15:00 local: two offers sent, one failed; one answered after 4 minutes, and that one pays.
    const [t1, t2, t3] = [await h.call('promo/offer', 'u1'), await h.call('promo/offer', 'u2'), await h.call('promo/offer', 'u3')];
    h.at(T0 + MINUTE);
    await h.outcome(t1, l1, 'sent');
    await h.outcome(t2, l2, 'sent');
    await h.outcome(t3, l3, 'failed');
    h.at(T0 + 5 * MINUTE);
    await h.answer(l1, { text: 'yes' });
    h.at(T0 + HOUR);
    await h.call('payments/succeeded', 'u1');
    // The answer 27 hours later belongs to the send's cell, not to Sunday's.
    h.at(T0 + 27 * HOUR);
    await h.answer(l2, { text: 'late' });
  });
  afterAll(() => backend.close());

  const window = `from=${new Date(T0 - 24 * HOUR).toISOString()}&to=${new Date(T0 + 48 * HOUR).toISOString()}`;

  it('puts the sends in the local weekday and hour of the send, with the answers and goals of those sends', async () => {
    const res = await get(window);
    expect(res.status).toBe(200);
    expect(res.body.window.timezone).toBe('Europe/Moscow');
    expect(res.body.engagementHours).toBe(24);
    expect(res.body.cells).toHaveLength(168);
    expect(res.body.cells[0]).toMatchObject({ weekday: 1, hour: 0 });
    expect(res.body.cells[167]).toMatchObject({ weekday: 7, hour: 23 });
    expect(filled(res.body.cells)).toEqual([{ weekday: 6, hour: 15, sent: 2, engaged: 1, engagementRate: 0.5, goalRecipients: 2, converted: 1, conversionRate: 0.5 }]);
    // Within 48 hours the late answer engages too.
    expect(filled((await get(`${window}&engagementHours=48`)).body.cells)[0]).toMatchObject({ engaged: 2, engagementRate: 1 });
  });

  it('filters by communication and channel', async () => {
    expect(filled((await get(`${window}&alias=payments/succeeded`)).body.cells)).toEqual([]);
    expect(filled((await get(`${window}&alias=promo/offer&channel=telegram`)).body.cells)).toHaveLength(1);
    expect(filled((await get(`${window}&channel=webchat`)).body.cells)).toEqual([]);
  });

  it('places hours across DST changes and half-hour offsets by the zone, one hour per local hour', async () => {
    const place = async (timezone: string, hours: number[]) => {
      const bot = await backend.createBot({ map });
      await backend.ctx.db('bots').where({ id: bot.botId }).update({ timezone });
      const deltas = new RollupDeltas();
      hours.forEach((hour, i) => deltas.add({ botId: bot.botId, hour, alias: 'promo/offer', channel: 'telegram' }, 'sent', i + 1));
      await backend.ctx.db.transaction((trx) => deltas.write(trx));
      const range = `from=${new Date(Math.min(...hours) - HOUR).toISOString()}&to=${new Date(Math.max(...hours) + HOUR).toISOString()}`;
      const res = await backend.request('GET', `/api/v1/bots/${bot.botId}/analytics/heatmap?${range}`, { token: bot.token });
      return filled(res.body.cells).map((c) => [c.weekday, c.hour, c.sent]);
    };
    // New York, Sunday 8 March 2026: 01:00 EST is 06:00 UTC, the next hour is 03:00 EDT.
    expect(await place('America/New_York', [Date.UTC(2026, 2, 8, 6), Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 2, 9, 4)])).toEqual([
      [1, 0, 3],
      [7, 1, 1],
      [7, 3, 2],
    ]);
    // Sunday 1 November 2026: 01:00 happens twice (EDT, then EST); both go to 01:00.
    expect(await place('America/New_York', [Date.UTC(2026, 10, 1, 5), Date.UTC(2026, 10, 1, 6), Date.UTC(2026, 10, 1, 7)])).toEqual([
      [7, 1, 3],
      [7, 2, 3],
    ]);
    // Kolkata (UTC+5:30): 18:30 UTC Monday is 00:00 Tuesday; the hour from 18:00 UTC goes by its start (Monday 23:30).
    expect(await place('Asia/Kolkata', [Date.UTC(2026, 10, 23, 18), Date.UTC(2026, 10, 23, 19)])).toEqual([
      [1, 23, 1],
      [2, 0, 2],
    ]);
  });

  it('refuses a reversed window or an engagement window off the histogram with 422 and the documented shape', async () => {
    const reversed = await get(`from=${new Date(T0).toISOString()}&to=${new Date(T0 - HOUR).toISOString()}`);
    expect(reversed.status).toBe(422);
    expect(reversed.body.success).toBe(false);
    const badHours = await get('engagementHours=5');
    expect(badHours.status).toBe(422);
    expect(badHours.body.errors[0]).toMatchObject({ path: 'engagementHours' });
  });
});
