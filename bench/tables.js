// Data tables on 1,000,000 rows: batch insert speed, TOP-10 of the week and percentile ranks, each
// beside the same query written as raw SQL on the driver (the floor). The percentile of a value over
// all rows is also timed with the plan it had before, alternating with it in the same run.
// Usage: npm run build && node bench/tables.js [rows]
//        BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres node bench/tables.js [rows]   # throwaway database
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Sqlite = require('better-sqlite3');
const pg = require('pg');
const { throwawayPostgres } = require('./throwaway-postgres');
const { stats } = require('./support/timing-stats');
const { createDatabase, migrateToLatest, isPostgres } = require('../backend/dist/platform/db/database');
const { createBot } = require('../backend/dist/bots/bots');
const { createTable, loadTable } = require('../backend/dist/tables/catalogue');
const { insertRows } = require('../backend/dist/tables/rows');
const { top, percentileRank } = require('../backend/dist/tables/stats');
const { windowBounds } = require('../backend/dist/tables/time-window');

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 10_000;
const USERS = 10_000;
const DAY = 86_400_000;
const now = Date.now();

/** Deterministic pseudo-random numbers, so every run measures the same data. */
function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A year of workouts logged as they happen (in time order), by 10,000 users, 5–120 minutes each. */
function makeBatch(next, start, count) {
  const step = (365 * DAY) / ROWS;
  return Array.from({ length: count }, (_, i) => ({
    user: `u${Math.floor(next() * USERS)}`,
    kind: ['run', 'swim', 'bike', 'gym'][Math.floor(next() * 4)],
    minutes: 5 + Math.floor(next() * 116),
    at: Math.floor(now - 365 * DAY + (start + i) * step),
  }));
}

async function timeItAsync(fn, runs = 50) {
  await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return stats(times);
}

const RAW_TABLE_SQL = (idColumn) => [
  `create table raw_workouts (id ${idColumn}, created_at bigint not null, updated_at bigint not null, "user" text, kind text, minutes float, at bigint)`,
  'create index raw_created on raw_workouts (created_at)',
  'create index raw_i1 on raw_workouts (at, "user", minutes)',
  'create index raw_i2 on raw_workouts (minutes)',
];

/** The floor on SQLite: better-sqlite3 on the same file, one prepared statement per row. */
function rawSqlite(file) {
  const raw = new Sqlite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  for (const sql of RAW_TABLE_SQL('integer primary key autoincrement')) raw.exec(sql);
  const insert = raw.prepare('insert into raw_workouts (created_at, updated_at, "user", kind, minutes, at) values (?, ?, ?, ?, ?, ?)');
  const insertMany = raw.transaction((rows) => { for (const r of rows) insert.run(now, now, r.user, r.kind, r.minutes, r.at); });
  const statements = new Map();
  const prepared = (sql) => statements.get(sql) ?? statements.set(sql, raw.prepare(sql)).get(sql);
  return {
    version: `SQLite ${raw.prepare('select sqlite_version() v').get().v}`,
    insertMany: async (rows) => insertMany(rows),
    get: async (sql, params = []) => prepared(sql).get(...params),
    all: async (sql, params = []) => prepared(sql).all(...params),
    analyze: async () => raw.exec('analyze'),
    close: async () => raw.close(),
  };
}

/** The floor on PostgreSQL: one pg connection, rows inserted with unnest (one statement per batch). */
async function rawPostgres(url) {
  const client = new pg.Client(url);
  await client.connect();
  for (const sql of RAW_TABLE_SQL('bigserial primary key')) await client.query(sql);
  const numbered = (sql) => { let i = 0; return sql.replace(/\?/g, () => `$${++i}`); };
  return {
    version: (await client.query('show server_version')).rows[0].server_version.replace(/^/, 'PostgreSQL '),
    insertMany: (rows) => client.query(
      'insert into raw_workouts (created_at, updated_at, "user", kind, minutes, at) select $1, $1, * from unnest($2::text[], $3::text[], $4::float[], $5::bigint[])',
      [now, rows.map((r) => r.user), rows.map((r) => r.kind), rows.map((r) => r.minutes), rows.map((r) => r.at)],
    ),
    get: async (sql, params = []) => (await client.query(numbered(sql), params)).rows[0],
    all: async (sql, params = []) => (await client.query(numbered(sql), params)).rows,
    analyze: () => client.query('vacuum analyze raw_workouts'),
    close: () => client.end(),
  };
}

/**
 * The plan the percentile of a value over the whole table had before: on SQLite `total` from the
 * page headers and the values below the subject counted, whatever the subject; on PostgreSQL the kept
 * value count as `total` and the smaller side of the subject counted on the index (the smallest and
 * largest value pick it), without the kept bucket counts.
 */
async function previousPercentilePlan(db, table, physical, value) {
  const row = isPostgres(db)
    ? (await db.raw(
        `select total, case when ? > lo / 2 + hi / 2 then total - (select count(*) from ?? where ?? >= ?) else (select count(*) from ?? where ?? < ?) end as below
         from (select coalesce(sum(n), 0) as total from data_table_value_counts where table_id = (select id from data_tables where physical_name = ?) and column_name = ?) as counts,
              (select (select min(??) from ??) as lo, (select max(??) from ??) as hi) as bounds`,
        [value, table, physical, value, table, physical, value, table, physical, physical, table, physical, table],
      )).rows[0]
    : await db.select(db.raw('(select count(*) from ??) - (select count(*) from ?? where ?? is null) as total, (select count(*) from ?? where ?? < ?) as below', [table, table, physical, table, physical, value])).first();
  return [Number(row.below), Number(row.total)];
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-tables-'));
  const postgres = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  const config = { sqliteFile: path.join(dataDir, 'metabot.sqlite'), ...(postgres ? { DATABASE_URL: postgres.url } : {}) };
  const db = createDatabase(config);
  await migrateToLatest(db);
  const ctx = { db, clock: { now: () => now }, config, logger: console };
  const bot = await createBot(ctx, { name: 'Bench', timezone: 'Europe/Moscow' });
  const definition = (name) => ({
    name,
    columns: [
      { name: 'user', type: 'string', nullable: false, unique: false },
      { name: 'kind', type: 'string', nullable: true, unique: false },
      { name: 'minutes', type: 'number', nullable: false, unique: false },
      { name: 'at', type: 'datetime', nullable: false, unique: false },
    ],
    indexes: [{ columns: ['at', 'user', 'minutes'], unique: false }, { columns: ['minutes'], unique: false }],
  });
  await createTable(ctx, bot.id, definition('workouts'));
  const table = await loadTable(db, bot.id, 'workouts');
  const col = Object.fromEntries(table.columns.map((c) => [c.name, c.physical]));
  // PostgreSQL: the price of the kept value and bucket counts, A/B batch by batch against an identical
  // table whose counting triggers (both kinds) are dropped (dropped afterwards, so the queries read the same database).
  const uncounted = postgres ? await createTable(ctx, bot.id, definition('uncounted')) : undefined;
  for (const event of uncounted ? ['insert', 'update', 'delete'] : []) {
    for (const kept of ['count', 'bucket']) await db.raw(`drop trigger ${uncounted.physical}_${kept}_${event} on ${uncounted.physical}`);
  }

  // Insert through the module: validation, one transaction per batch of 10,000, chunked multi-row INSERTs.
  const next = random(42);
  let insertMs = 0;
  let uncountedMs = 0;
  for (let done = 0; done < ROWS; done += BATCH) {
    const batch = makeBatch(next, done, Math.min(BATCH, ROWS - done));
    const timed = async (target) => {
      const start = process.hrtime.bigint();
      await insertRows(db, target, batch, now);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    if (uncounted && (done / BATCH) % 2 === 1) uncountedMs += await timed(uncounted);
    insertMs += await timed(table);
    if (uncounted && (done / BATCH) % 2 === 0) uncountedMs += await timed(uncounted);
  }
  if (uncounted) await db.schema.dropTable(uncounted.physical);

  // The floor: the same rows into an identical raw table through the driver itself.
  const raw = postgres ? await rawPostgres(postgres.url) : rawSqlite(config.sqliteFile);
  const rawNext = random(42);
  let rawInsertMs = 0;
  for (let done = 0; done < ROWS; done += BATCH) {
    const batch = makeBatch(rawNext, done, Math.min(BATCH, ROWS - done));
    const start = process.hrtime.bigint();
    await raw.insertMany(batch);
    rawInsertMs += Number(process.hrtime.bigint() - start) / 1e6;
  }
  await raw.analyze();
  await db.raw(postgres ? `vacuum analyze ${table.physical}` : 'analyze');

  const sc = { db, table: await loadTable(db, bot.id, 'workouts'), now, timeZone: bot.timezone };
  const week = { type: 'this_week', column: 'at' };
  const { from, to } = windowBounds({ ...week }, now, bot.timezone);
  const weekRows = Number((await raw.get('select count(*) n from raw_workouts where at >= ? and at < ?', [from, to])).n);
  const someUser = (await raw.get('select "user" from raw_workouts where at >= ? and at < ? limit 1', [from, to])).user;
  // Each module figure includes reading the table's catalogue (two small queries), as every API call does.
  const viaModule = (fn, runs) => timeItAsync(async () => fn({ ...sc, table: await loadTable(db, bot.id, 'workouts') }), runs);

  const results = {
    top10RowsOfWeek: {
      module: await viaModule((s) => top(s, { column: 'minutes', n: 10, direction: 'desc', window: week })),
      rawSql: await timeItAsync(() => raw.all('select * from raw_workouts where at >= ? and at < ? and minutes is not null order by minutes desc, id asc limit 10', [from, to])),
    },
    top10UsersOfWeek: {
      module: await viaModule((s) => top(s, { column: 'minutes', n: 10, direction: 'desc', groupBy: ['user'], fn: 'sum', window: week })),
      rawSql: await timeItAsync(() => raw.all('select "user", sum(minutes) v from raw_workouts where at >= ? and at < ? group by "user" having count(minutes) > 0 order by v desc, "user" asc limit 10', [from, to])),
    },
    percentileOfUserWeeklyTotal: {
      module: await viaModule((s) => percentileRank(s, { column: 'minutes', groupBy: ['user'], group: { user: someUser }, window: week })),
      rawSql: await timeItAsync(() =>
        raw.get('with t as (select "user", sum(minutes) v from raw_workouts where at >= ? and at < ? group by "user" having count(minutes) > 0) select count(*) total, sum(case when v < (select v from t where "user" = ?) then 1 else 0 end) below from t', [from, to, someUser]),
      ),
    },
    percentileOfValueThisWeek: {
      module: await viaModule((s) => percentileRank(s, { column: 'minutes', value: 60, window: week })),
      rawSqlTwoCounts: await timeItAsync(async () => {
        await raw.get('select count(*) n from raw_workouts where at >= ? and at < ? and minutes < ?', [from, to, 60]);
        await raw.get('select count(*) n from raw_workouts where at >= ? and at < ? and minutes is not null', [from, to]);
      }),
    },
    percentileOfValueAllRows: {},
  };
  // Module and previous plan alternate round by round, so a change in the machine's load hits both.
  for (const value of [60, 119]) {
    const answer = await percentileRank(sc, { column: 'minutes', value });
    const [below, total] = await previousPercentilePlan(db, table.physical, col.minutes, value);
    if (answer.below !== below || answer.total !== total) throw new Error(`value ${value}: module ${answer.below}/${answer.total}, previous plan ${below}/${total}`);
    // 20 rounds a block: the nearest-rank p95 of fewer is the maximum.
    const modulePlan = await viaModule((s) => percentileRank(s, { column: 'minutes', value }), 20);
    const previousPlan = await viaModule((s) => previousPercentilePlan(db, s.table.physical, col.minutes, value), 20);
    const modulePlanAgain = await viaModule((s) => percentileRank(s, { column: 'minutes', value }), 20);
    const rawSqlTwoCounts = await timeItAsync(async () => {
      await raw.get('select count(*) n from raw_workouts where minutes < ?', [value]);
      await raw.get('select count(*) n from raw_workouts where minutes is not null');
    }, 20);
    const moduleMs = Math.min(modulePlan.medianMs, modulePlanAgain.medianMs);
    results.percentileOfValueAllRows[`value ${value}`] = { module: [modulePlan, modulePlanAgain], previousPlan, rawSqlTwoCounts, moduleOverPrevious: +(moduleMs / previousPlan.medianMs).toFixed(2) };
  }

  console.log(JSON.stringify({
    machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, ${raw.version}`,
    date: new Date().toISOString().slice(0, 16),
    load: os.loadavg().map((l) => +l.toFixed(1)),
    rows: ROWS,
    rowsInThisWeek: weekRows,
    insert: {
      moduleRowsPerSecond: Math.round(ROWS / (insertMs / 1000)),
      rawSqlRowsPerSecond: Math.round(ROWS / (rawInsertMs / 1000)),
      ...(postgres ? { moduleWithoutValueCountsRowsPerSecond: Math.round(ROWS / (uncountedMs / 1000)) } : {}),
    },
    queries: results,
  }, null, 2));
  await raw.close();
  await db.destroy();
  await postgres?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
