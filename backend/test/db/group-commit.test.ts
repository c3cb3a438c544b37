import type { Knex } from 'knex';
import { GroupCommit } from '../../src/platform/db/group-commit';
import { isUniqueViolation } from '../../src/platform/db/database';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`GroupCommit on a real database (${dialect})`, () => {
  let backend: TestBackend;
  let db: Knex;
  let botId: number;
  let batches: string[][];
  const keysWritten = async (prefix: string) =>
    (await db('idempotency_keys').where({ bot_id: botId }).andWhere('key', 'like', `${prefix}%`).orderBy('key')).map((row) => row.key);

  // Each item is an idempotency key row: the table's primary key makes a repeated key fail for real.
  const writer = (maxBatch: number) =>
    new GroupCommit<string, string>(async (keys) => {
      batches.push(keys);
      await db.transaction((trx) =>
        trx('idempotency_keys').insert(keys.map((key) => ({ bot_id: botId, key, request_hash: 'h', status_code: 200, response: '{}', created_at: 1 }))),
      );
      return keys.map((key) => `written ${key}`);
    }, maxBatch);

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    db = backend.ctx.db;
    ({ botId } = await backend.createBot());
  });
  beforeEach(() => void (batches = []));
  afterAll(() => backend.close());

  it('commits the writes of one turn of the event loop together and answers each with its own result', async () => {
    const group = writer(100);
    const keys = Array.from({ length: 40 }, (_, i) => `a-${String(i).padStart(2, '0')}`);
    const results = await Promise.all(keys.map((key) => group.write(key)));
    expect(results).toEqual(keys.map((key) => `written ${key}`));
    expect(batches).toEqual([keys]);
    expect(await keysWritten('a-')).toEqual(keys);
  });

  it('never puts more than maxBatch writes in one transaction, in the order written; a write arriving during a commit waits for the next', async () => {
    const group = writer(16);
    const keys = Array.from({ length: 40 }, (_, i) => `b-${String(i).padStart(2, '0')}`);
    const first = keys.map((key) => group.write(key));
    await new Promise((resolve) => setImmediate(resolve));
    const late = group.write('b-late');
    await Promise.all([...first, late]);
    expect(batches[0]).toEqual(keys.slice(0, 16));
    expect(batches.every((batch) => batch.length <= 16)).toBe(true);
    expect(batches.flat()).toEqual([...keys, 'b-late']);
    expect(await keysWritten('b-')).toHaveLength(41);
  });

  it('a failing write fails alone: the rest of its batch is committed', async () => {
    await writer(100).write('c-taken');
    batches = [];
    const group = writer(100);
    const keys = ['c-1', 'c-2', 'c-taken', 'c-3'];
    const outcomes = await Promise.allSettled(keys.map((key) => group.write(key)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(isUniqueViolation((outcomes[2] as PromiseRejectedResult).reason)).toBe(true);
    // The batch failed as a whole (nothing of it was kept), then each write was committed on its own.
    expect(batches).toEqual([keys, ['c-1'], ['c-2'], ['c-taken'], ['c-3']]);
    expect(await keysWritten('c-')).toEqual(['c-1', 'c-2', 'c-3', 'c-taken']);
  });
});
