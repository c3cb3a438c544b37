import { purgeDeliveredEvents } from '../../src/events/retention';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

const DAY = 86_400_000;

describe(`events retention (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  const clock = new ManualClock();
  let next = 0;

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false', HISTORY_RETENTION_DAYS: '30' } });
    ({ botId } = await backend.createBot());
    await backend.ctx.db('subscriptions').insert({ id: 'sub_r', bot_id: botId, url: 'http://127.0.0.1:9/', events: '["*"]', aliases: '[]', secret: 'whsec_x', adopted_at: null, created_at: clock.now() });
  });
  afterAll(() => backend.close());

  /** An event recorded `ageDays` ago, fanned out as `fanout`, with a delivery in `status` (or none). */
  async function event(ageDays: number, fanout: string | null, status?: string): Promise<number> {
    const [row] = await backend.ctx.db('events').insert({ bot_id: botId, type: 'bot.started', trace_id: `t${++next}`, payload: '{}', created_at: clock.now() - ageDays * DAY, fanout }).returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    if (status) {
      await backend.ctx.db('event_deliveries').insert({ id: `dl_${next}`, bot_id: botId, subscription_id: 'sub_r', event_id: id, status, attempts: 1, next_attempt_at: clock.now(), created_at: clock.now() - ageDays * DAY });
    }
    return id;
  }

  it('purges delivered and exhausted deliveries and finished events past the retention, keeps the rest', async () => {
    const purged = [await event(40, 'matched', 'delivered'), await event(35, 'matched', 'exhausted'), await event(31, 'unmatched')];
    const kept = [await event(45, 'matched', 'pending'), await event(40, null), await event(29, 'matched', 'delivered'), await event(1, 'unmatched')];
    expect(await purgeDeliveredEvents(backend.ctx)).toBe(false);
    const ids = (await backend.ctx.db('events').where({ bot_id: botId }).select('id')).map((r: { id: number | string }) => Number(r.id));
    expect(ids.sort((a, b) => a - b)).toEqual(kept);
    for (const id of purged) expect(ids).not.toContain(id);
    expect((await backend.ctx.db('event_deliveries').where({ bot_id: botId }).select('status')).map((r: { status: string }) => r.status).sort()).toEqual(['delivered', 'pending']);

    // Time passes: the delivered one goes too; the pending one stays until it is done.
    clock.advance(2 * DAY);
    await purgeDeliveredEvents(backend.ctx);
    expect((await backend.ctx.db('events').where({ bot_id: botId })).map((r: { id: number | string }) => Number(r.id)).sort((a, b) => a - b)).toEqual([kept[0], kept[1], kept[3]]);
    await backend.ctx.db('event_deliveries').where({ event_id: kept[0] }).update({ status: 'delivered' });
    await purgeDeliveredEvents(backend.ctx);
    expect((await backend.ctx.db('events').where({ bot_id: botId })).map((r: { id: number | string }) => Number(r.id)).sort((a, b) => a - b)).toEqual([kept[1], kept[3]]);
  });

  it('HISTORY_RETENTION_DAYS is at least one day', async () => {
    await expect(startTestBackend({ env: { HISTORY_RETENTION_DAYS: '0' } })).rejects.toThrow(/HISTORY_RETENTION_DAYS/);
  });
});
