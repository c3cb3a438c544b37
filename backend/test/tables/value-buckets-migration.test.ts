import { migrationSource } from '../../src/platform/db/migrations/index';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/**
 * Migration 0034 (PostgreSQL: the kept bucket counts) on a database that already has data tables:
 * it counts the buckets of what their indexed number and datetime columns hold and installs their
 * triggers, so the whole-table percentile stays exact.
 */
describe(`data tables: the bucket counts of tables that existed before migration 0034 (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}/tables${path}`, { token, body });

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  const DAY = 86_400_000;
  const expectPercentiles = async (scores: Array<number | null>) => {
    const values = scores.filter((v): v is number => v !== null);
    for (const value of [-5, 0, 1, 2.5, 3, 8, 9, 1000, 1e6]) {
      const below = values.filter((v) => v < value).length;
      for (const [column, subject] of [['score', value], ['at', new Date(value * DAY).toISOString()]] as const) {
        const res = await api('POST', '/old/stats/percentile', { column, value: subject });
        expect({ column, value, below: res.body.below, total: res.body.total }).toEqual({ column, value, below, total: values.length });
      }
    }
  };

  it('counts the buckets of the rows written before it and keeps counting after', async () => {
    const columns = [{ name: 'score', type: 'number' }, { name: 'at', type: 'datetime' }, { name: 'word', type: 'string' }];
    expect((await api('POST', '', { name: 'old', columns, indexes: [['score'], ['at', 'word']] })).status).toBe(201);
    await backend.ctx.db.migrate.down({ migrationSource, name: '0034_data_table_value_buckets' });
    // Rows written while no trigger counts their buckets.
    const scores = [1, 2, 3, null, 5, 8, 8, null, 9, -3, 1000.5, 0];
    const row = (score: number | null) => ({ score, at: score === null ? null : new Date(score * DAY).toISOString(), word: 'w' });
    expect((await api('POST', '/old/rows', { rows: scores.map(row) })).status).toBe(201);
    await backend.ctx.db.migrate.latest({ migrationSource });
    await expectPercentiles(scores);
    if (dialect === 'postgresql') {
      const { id } = await backend.ctx.db('data_tables').where({ bot_id: botId, name: 'old' }).first('id');
      const kept = await backend.ctx.db.raw('select sum(n) as n from data_table_value_buckets d, unnest(d.buckets, d.counts) as u(b, n) where table_id = ?', [id]);
      expect(Number(kept.rows[0].n)).toBe(2 * scores.filter((v) => v !== null).length);
    }
    const later = [10, null, 0, 2.5];
    expect((await api('POST', '/old/rows', { rows: later.map(row) })).status).toBe(201);
    await expectPercentiles([...scores, ...later]);
  });
});
