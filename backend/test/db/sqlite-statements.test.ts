import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createDatabase } from '../../src/platform/db/database';
import { testDatabaseUrl } from '../support/test-backend';

const describeOnSqlite = testDatabaseUrl ? describe.skip : describe;

// The SQLite client keeps its prepared statements by SQL text: a kept statement must answer as a
// freshly prepared one would.
describeOnSqlite('kept SQLite statements (sqlite)', () => {
  let dir: string;
  let db: Knex;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-statements-'));
    db = createDatabase({ DATABASE_URL: undefined, sqliteFile: path.join(dir, 'test.sqlite') });
    await db.schema.createTable('t', (table) => {
      table.integer('id').primary();
      table.text('name').unique();
    });
  });
  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sees a column added after the statement was first run', async () => {
    await db('t').insert({ id: 1, name: 'a' });
    expect(await db('t').select('*')).toEqual([{ id: 1, name: 'a' }]);
    await db.schema.alterTable('t', (table) => table.text('extra'));
    expect(await db('t').select('*')).toEqual([{ id: 1, name: 'a', extra: null }]);
  });

  it('reads safe integers only for the run that asks, then numbers again', async () => {
    await db('t').insert({ id: 1, name: 'a' });
    expect(await db('t').select('id').options({ safeIntegers: true })).toEqual([{ id: 1n }]);
    expect(await db('t').select('id')).toEqual([{ id: 1 }]);
  });

  // Not `rejects.toThrow`: better-sqlite3 builds its errors with the SqliteError of the first test
  // file that loaded it in this jest worker, so in a later file they are not `instanceof Error`
  // and toThrow reports "did not throw" (why this test once looked flaky beside other suites).
  const refusedAsDuplicate = { code: 'SQLITE_CONSTRAINT_UNIQUE', message: expect.stringMatching(/UNIQUE/) };

  it('runs again after a run of the same statement failed, in and out of transactions', async () => {
    const insert = (trx: Knex, id: number, name: string) => trx('t').insert({ id, name });
    await insert(db, 1, 'a');
    await expect(insert(db, 2, 'a')).rejects.toMatchObject(refusedAsDuplicate);
    await db.transaction((trx) => insert(trx, 2, 'b'));
    await expect(db.transaction((trx) => insert(trx, 3, 'b'))).rejects.toMatchObject(refusedAsDuplicate);
    await insert(db, 3, 'c');
    expect(await db('t').orderBy('id').pluck('name')).toEqual(['a', 'b', 'c']);
  });
});
