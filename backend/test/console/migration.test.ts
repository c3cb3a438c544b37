import { migrationSource } from '../../src/platform/db/migrations';
import { addConsoleUser } from '../support/console';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`migration 0015_console (${dialect})`, () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  it('undoes and redoes itself, keeping the maps it found', async () => {
    const { botId } = await backend.createBot({ map: { name: 'M', endpoints: [] } });
    await addConsoleUser(backend, 'anna@example.com', 'admin');
    const db = backend.ctx.db;
    await db.migrate.down({ migrationSource, name: '0015_console' });
    expect(await db.schema.hasTable('console_users')).toBe(false);
    expect(await db.schema.hasColumn('communication_maps', 'author_kind')).toBe(false);
    await db.migrate.latest({ migrationSource });
    expect(await db.schema.hasColumn('communication_maps', 'author_kind')).toBe(true);
    expect(await db('communication_maps').where({ bot_id: botId }).select('version', 'author', 'author_kind')).toEqual([{ version: 1, author: 'test', author_kind: null }]);
  });
});
