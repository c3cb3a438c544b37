import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import knex, { type Knex } from 'knex';
import { listenFeed, VERSION_CHECK_MS, versionFeed } from '../../src/platform/db/change-feeds';
import { READ_CACHE_VERSION_SQL } from '../../src/platform/db/migrations/0035_read_cache_version';
import { type ChangeFeedFactory, ReadCache } from '../../src/platform/db/read-cache';
import { runCliAsync } from '../support/cli';
import { userAccountMap } from '../support/maps';
import { startTestBackend, type TestBackend, testDatabaseUrl } from '../support/test-backend';
import { eventually } from '../support/eventually';

jest.setTimeout(60_000);

const onPostgres = Boolean(testDatabaseUrl);
const itOnPostgres = onPostgres ? it : it.skip;
const database = onPostgres ? 'PostgreSQL' : 'SQLite';

/** The reads a call makes that the ReadCache may serve: token, bot, current map version. */
const CACHED_READS = [/from api_tokens where id/, /from bots where id/, /from communication_maps where bot_id = \$1 order by version desc/];

describe(`the per-process cache of token, bot and map version (${database})`, () => {
  let backend: TestBackend;
  /** SQLite: a read-only connection of the test's own, for a cache's version counter. */
  let versions: Sqlite.Database | undefined;
  let botId: number;
  let token: string;
  const seen: string[] = [];
  const cliEnv = () => ({ LOG_LEVEL: 'silent', DATA_DIR: backend.dataDir, ...(onPostgres ? { DATABASE_URL: backend.ctx.config.DATABASE_URL! } : {}) });
  /** A feed as the backend's own reads build it, for a cache the test drives. */
  const feed = (): ChangeFeedFactory => {
    if (onPostgres) return listenFeed(backend.ctx.config.DATABASE_URL!);
    versions ??= new Sqlite(backend.ctx.config.sqliteFile, { readonly: true });
    const statement = versions.prepare(READ_CACHE_VERSION_SQL);
    return versionFeed(() => (statement.get() as { version: number }).version);
  };
  /** A read that counts how often the cache calls it. */
  const countedRead = (value: string, delayMs = 0) => {
    const counted = {
      reads: 0,
      read: async () => {
        counted.reads += 1;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        return value;
      },
    };
    return counted;
  };
  /** Until `cache` serves `key` from memory: its feed watches and nothing holds it off. */
  const untilServedFromMemory = (cache: ReadCache, key: string, timeoutMs?: number) => {
    const warm = countedRead(key);
    return eventually(async () => {
      await cache.row(key, warm.read);
      const before = warm.reads;
      await cache.row(key, warm.read);
      return warm.reads === before;
    }, timeoutMs);
  };
  const call = () => backend.request('POST', `/api/v1/bots/${botId}/call/users/update`, { token, body: { script_request_params: { userId: 7, role: 'user' } } });
  /** How many of the cached reads one call sent to the database. */
  const roundTripsOfACall = async () => {
    seen.length = 0;
    expect((await call()).status).toBe(200);
    return seen.filter((sql) => CACHED_READS.some((pattern) => pattern.test(sql))).length;
  };

  beforeAll(async () => {
    // A long time to live: what the tests see of other processes' changes came by their notices.
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false', READ_CACHE_TTL_MS: '60000' } });
    backend.ctx.db.on('query', (query: { sql: string }) => seen.push(query.sql));
  });
  beforeEach(async () => {
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(async () => {
    versions?.close();
    await backend.close();
  });

  // On SQLite these reads go to the read-only connection, which knex does not see: the test below
  // with a cache of its own counts them there.
  itOnPostgres('serves the three reads of a call from memory once it listens for changes', async () => {
    await eventually(async () => (await roundTripsOfACall()) === 0);
    expect(await roundTripsOfACall()).toBe(0);
  });

  /**
   * Until a call's reads come from memory: on PostgreSQL once the LISTEN connection is up; on
   * SQLite (whose reads knex does not see) once the second that beforeEach's own writes hold the
   * cache off is over, and a call has filled it.
   */
  const untilCached = async () => {
    if (onPostgres) {
      await eventually(async () => (await roundTripsOfACall()) === 0);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await call()).status).toBe(200);
  };

  it('a revocation by another process (the CLI) is refused here within 1 s', async () => {
    await untilCached();
    const revoked = await runCliAsync(['token', 'revoke', token.slice(4, 16)], cliEnv());
    expect(revoked.status).toBe(0);
    const sinceRevoked = Date.now();
    await eventually(async () => (await call()).status === 401, 5_000);
    expect(Date.now() - sinceRevoked).toBeLessThan(1_000);
  });

  it('a new map version imported by another process (the CLI) is used here within 1 s', async () => {
    await untilCached();
    const file = path.join(backend.dataDir, 'trimmed-map.json');
    fs.writeFileSync(file, JSON.stringify({ ...userAccountMap, endpoints: userAccountMap.endpoints.filter((e) => e.alias !== 'users/update') }));
    const imported = await runCliAsync(['map', 'import', '--bot', String(botId), '--file', file], cliEnv());
    expect(imported.status).toBe(0);
    const since = Date.now();
    await eventually(async () => (await call()).status === 404, 5_000);
    expect(Date.now() - since).toBeLessThan(1_000);
  });

  it('concurrent misses of one key share one read; a read in flight when a change is seen is not handed to later callers', async () => {
    const cache = new ReadCache(backend.ctx.db, feed(), 60_000);
    try {
      await untilServedFromMemory(cache, 'warm');
      const shared = countedRead('s', 30);
      expect(await Promise.all(Array.from({ length: 20 }, () => cache.row('shared', shared.read)))).toEqual(Array(20).fill('s'));
      expect(shared.reads).toBe(1);

      const old = countedRead('old', 30);
      const fresh = countedRead('new', 30);
      const first = cache.row('changed', old.read);
      // A write of this process to a cached table, as knex reports it.
      backend.ctx.db.emit('query', { sql: 'update "bots" set "name" = ?' });
      const second = cache.row('changed', fresh.read);
      expect([await first, await second]).toEqual(['old', 'new']);
      expect(old.reads + fresh.reads).toBe(2);
    } finally {
      await cache.close();
    }
  });

  it('caches again after a transaction with a savepoint wrote cached tables and committed', async () => {
    const cache = new ReadCache(backend.ctx.db, feed(), 60_000);
    try {
      await backend.ctx.db.transaction(async (trx) => {
        await trx('bots').where({ id: botId }).update({ name: 'Outer' });
        await trx.transaction((nested) => nested('bots').where({ id: botId }).update({ name: 'Nested' }));
      });
      // The second a write of this process holds the cache off.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await untilServedFromMemory(cache, 'bot', 2_000);
    } finally {
      await cache.close();
    }
  });

  it('a change another connection commits reaches a cache through its feed, and nothing else empties it', async () => {
    const cache = new ReadCache(backend.ctx.db, feed(), 60_000);
    // Another connection, as another process has: its statements are not this process's knex events.
    const other: Knex = onPostgres
      ? knex({ client: 'pg', connection: backend.ctx.config.DATABASE_URL })
      : knex({ client: 'better-sqlite3', connection: { filename: backend.ctx.config.sqliteFile }, useNullAsDefault: true });
    try {
      await untilServedFromMemory(cache, 'bot');
      const bot = countedRead('bot');
      await new Promise((resolve) => setTimeout(resolve, 3 * VERSION_CHECK_MS));
      expect(await cache.row('bot', bot.read)).toBe('bot');
      expect(bot.reads).toBe(0);
      await other('bots').where({ id: botId }).update({ name: 'Renamed elsewhere' });
      await eventually(async () => {
        await cache.row('bot', bot.read);
        return bot.reads === 1;
      }, 1_000);
    } finally {
      await other.destroy();
      await cache.close();
    }
  });

  itOnPostgres('without its LISTEN connection it reads through, and caches again once it is back', async () => {
    await eventually(async () => (await roundTripsOfACall()) === 0);
    const other: Knex = knex({ client: 'pg', connection: backend.ctx.config.DATABASE_URL });
    try {
      const killed = await other.raw("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'");
      expect(killed.rows).toHaveLength(1);
      await eventually(async () => (await roundTripsOfACall()) > 0);
      // A change while nobody listens: no notice reaches this process, yet the next call sees it.
      await other('api_tokens').where({ id: token.slice(4, 16) }).update({ revoked_at: Date.now() });
      expect((await call()).status).toBe(401);
      ({ botId, token } = await backend.createBot({ map: userAccountMap }));
      await eventually(async () => (await roundTripsOfACall()) === 0, 10_000);
    } finally {
      await other.destroy();
    }
  });
});
