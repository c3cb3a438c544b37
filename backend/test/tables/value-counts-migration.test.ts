import { migrationSource } from '../../src/platform/db/migrations/index';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/**
 * Migration 0033 (PostgreSQL: the kept value counts) on a database that already has data tables:
 * it counts what they hold and installs their triggers, so the whole-table percentile stays exact.
 */
describe(`data tables: the value counts of tables that existed before migration 0033 (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}/tables${path}`, { token, body });

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  const expectPercentile = async (value: number, below: number, total: number) => {
    const res = await api('POST', '/old/stats/percentile', { column: 'score', value });
    expect({ value, below: res.body.below, total: res.body.total }).toEqual({ value, below, total });
  };

  it('counts the rows written before it and keeps counting after', async () => {
    expect((await api('POST', '', { name: 'old', columns: [{ name: 'score', type: 'number' }, { name: 'word', type: 'string' }], indexes: [['score']] })).status).toBe(201);
    await backend.ctx.db.migrate.down({ migrationSource, name: '0033_data_table_value_counts' });
    // Rows written while no trigger counts them.
    const rows = [1, 2, 3, null, 5, 8, 8, null, 9].map((score) => ({ score, word: score === null ? null : `w${score}` }));
    expect((await api('POST', '/old/rows', { rows })).status).toBe(201);
    await backend.ctx.db.migrate.latest({ migrationSource });
    await expectPercentile(8, 4, 7);
    await expectPercentile(9, 6, 7);
    expect((await api('POST', '/old/rows', { rows: [{ score: 10 }, { score: null }, { score: 0 }] })).status).toBe(201);
    await expectPercentile(9, 7, 9);
    await expectPercentile(1, 1, 9);
  });
});
