import { historyWriter } from '../analytics/history';
import { addConsoleUser, consoleLogin, type ConsoleClient } from '../support/console';
import { seedLinkedLeads } from '../support/delivery';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const map = {
  name: 'Shop',
  endpoints: [
    { alias: 'promo/offer', purpose: 'An offer', owner: 'marketing', params: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } }, goal: { alias: 'payments/succeeded', withinHours: 72 } },
    { alias: 'payments/succeeded', purpose: 'A payment', owner: 'billing' },
  ],
};

/** The console's analytics routes answer what the token API answers, refuse bad input the same way, and stream the export. */
describe(`console analytics routes (${dialect})`, () => {
  const clock = new ManualClock(T0);
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let analyst: ConsoleClient;
  const window = `from=${new Date(T0 - 60 * MINUTE).toISOString()}&to=${new Date(T0 + 24 * 60 * MINUTE).toISOString()}`;

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot({ map }));
    await backend.ctx.db('bots').where({ id: botId }).update({ timezone: 'Europe/Moscow' });
    const [l1, l2] = await seedLinkedLeads(backend.ctx.db, botId, [1, 2], T0);
    const h = historyWriter(backend, clock, botId, token);
    const [t1, t2] = [await h.call('promo/offer', 'u1'), await h.call('promo/offer', 'u2')];
    h.at(T0 + MINUTE);
    await h.outcome(t1, l1, 'sent');
    await h.outcome(t2, l2, 'failed');
    h.at(T0 + 4 * MINUTE);
    await h.answer(l1, { text: 'yes' });
    h.at(T0 + 60 * MINUTE);
    await h.call('payments/succeeded', 'u1');
    await addConsoleUser(backend, 'analyst@example.com', 'analyst');
    analyst = await consoleLogin(backend, 'analyst@example.com');
  });
  afterAll(() => backend.close());

  it.each(['', '/communications', '/channels', '/series?bucket=hour&', '/series?bucket=week&', '/heatmap'])('GET /analytics%s answers what the token API answers', async (route) => {
    const path = `/bots/${botId}/analytics${route}${route.includes('?') ? '' : '?'}${window}`;
    const fromConsole = await analyst.request('GET', path);
    const fromApi = await backend.request('GET', `/api/v1${path}`, { token });
    expect(fromConsole.status).toBe(200);
    const { trace_id: _, ...expected } = fromApi.body;
    expect(fromConsole.body).toEqual(expected);
  });

  it('gives the figures the history makes', async () => {
    const { figures } = (await analyst.request('GET', `/bots/${botId}/analytics?${window}`)).body;
    expect(figures.delivery).toMatchObject({ sent: 1, failed: 1, rate: 0.5 });
    expect(figures.responseTime).toMatchObject({ answers: 1, medianSeconds: 300 });
    expect(figures.conversion).toEqual({ recipients: 1, converted: 1, rate: 1 });
  });

  it('refuses a bad window or bucket with 422 and the field, never a 500', async () => {
    const reversed = await analyst.request('GET', `/bots/${botId}/analytics?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z`);
    expect(reversed.status).toBe(422);
    expect(reversed.body.success).toBe(false);
    expect((await analyst.request('GET', `/bots/${botId}/analytics/series?bucket=minute`)).body.errors[0]).toMatchObject({ path: 'bucket' });
    expect((await analyst.request('GET', `/bots/${botId}/analytics/export?kind=all&from=x&to=y`)).status).toBe(422);
  });

  it('streams the export as a download, one CSV row per event', async () => {
    const res = await analyst.request('GET', `/bots/${botId}/analytics/export?kind=events&format=csv&${window}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="bot-${botId}-events.csv"`);
    const types = String(res.body).trim().split('\r\n').slice(1).map((l) => l.split(',')[1]);
    expect(types.filter((t) => t.startsWith('message.')).sort()).toEqual(['message.failed', 'message.received', 'message.sent']);
  });
});
