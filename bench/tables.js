// Data tables on 1,000,000 rows (SQLite): batch insert speed, TOP-10 of the week and percentile ranks,
// each beside the same query written as raw SQL on better-sqlite3 (the floor).
// Usage: npm run build && node bench/tables.js [rows]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Sqlite = require('better-sqlite3');
const { createDatabase, migrateToLatest } = require('../backend/dist/platform/db/database');
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

function timeIt(fn, runs = 50) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(times);
}

async function timeItAsync(fn, runs = 50) {
  await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(times);
}

function summarize(times) {
  times.sort((a, b) => a - b);
  const at = (q) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2));
  return { medianMs: at(0.5), p95Ms: at(0.95) };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-tables-'));
  const config = { sqliteFile: path.join(dataDir, 'metabot.sqlite') };
  const db = createDatabase(config);
  await migrateToLatest(db);
  const ctx = { db, clock: { now: () => now }, config, logger: console };
  const bot = await createBot(ctx, { name: 'Bench', timezone: 'Europe/Moscow' });
  await createTable(ctx, bot.id, {
    name: 'workouts',
    columns: [
      { name: 'user', type: 'string', nullable: false, unique: false },
      { name: 'kind', type: 'string', nullable: true, unique: false },
      { name: 'minutes', type: 'number', nullable: false, unique: false },
      { name: 'at', type: 'datetime', nullable: false, unique: false },
    ],
    indexes: [{ columns: ['at', 'user', 'minutes'], unique: false }, { columns: ['minutes'], unique: false }],
  });
  const table = await loadTable(db, bot.id, 'workouts');
  const col = Object.fromEntries(table.columns.map((c) => [c.name, c.physical]));

  // Insert through the module: validation, one transaction per batch of 10,000, chunked multi-row INSERTs.
  const next = random(42);
  let insertMs = 0;
  for (let done = 0; done < ROWS; done += BATCH) {
    const batch = makeBatch(next, done, Math.min(BATCH, ROWS - done));
    const start = process.hrtime.bigint();
    await insertRows(db, table, batch, now);
    insertMs += Number(process.hrtime.bigint() - start) / 1e6;
  }

  // The floor: the same rows into an identical raw table through one prepared statement per row.
  const raw = new Sqlite(config.sqliteFile);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec(`create table raw_workouts (id integer primary key autoincrement, created_at bigint not null, updated_at bigint not null, user text, kind text, minutes float, at bigint);
    create index raw_created on raw_workouts (created_at); create index raw_i1 on raw_workouts (at, user, minutes); create index raw_i2 on raw_workouts (minutes);`);
  const insert = raw.prepare('insert into raw_workouts (created_at, updated_at, user, kind, minutes, at) values (?, ?, ?, ?, ?, ?)');
  const insertMany = raw.transaction((rows) => { for (const r of rows) insert.run(now, now, r.user, r.kind, r.minutes, r.at); });
  const rawNext = random(42);
  let rawInsertMs = 0;
  for (let done = 0; done < ROWS; done += BATCH) {
    const batch = makeBatch(rawNext, done, Math.min(BATCH, ROWS - done));
    const start = process.hrtime.bigint();
    insertMany(batch);
    rawInsertMs += Number(process.hrtime.bigint() - start) / 1e6;
  }
  raw.exec('analyze');
  await db.raw('analyze');

  const sc = { db, table: await loadTable(db, bot.id, 'workouts'), now, timeZone: bot.timezone };
  const week = { type: 'this_week', column: 'at' };
  const { from, to } = windowBounds({ ...week }, now, bot.timezone);
  const t = table.physical;
  const weekRows = raw.prepare('select count(*) n from raw_workouts where at >= ? and at < ?').get(from, to).n;
  const someUser = raw.prepare('select user from raw_workouts where at >= ? and at < ? limit 1').get(from, to).user;
  // Each module figure includes reading the table's catalogue (two small queries), as every API call does.
  const viaModule = (fn) => timeItAsync(async () => fn({ ...sc, table: await loadTable(db, bot.id, 'workouts') }));

  const results = {
    top10RowsOfWeek: {
      module: await viaModule((s) => top(s, { column: 'minutes', n: 10, direction: 'desc', window: week })),
      rawSql: timeIt(() => raw.prepare('select * from raw_workouts where at >= ? and at < ? and minutes is not null order by minutes desc, id asc limit 10').all(from, to)),
    },
    top10UsersOfWeek: {
      module: await viaModule((s) => top(s, { column: 'minutes', n: 10, direction: 'desc', groupBy: ['user'], fn: 'sum', window: week })),
      rawSql: timeIt(() => raw.prepare('select user, sum(minutes) v from raw_workouts where at >= ? and at < ? group by user having count(minutes) > 0 order by v desc, user asc limit 10').all(from, to)),
    },
    percentileOfUserWeeklyTotal: {
      module: await viaModule((s) => percentileRank(s, { column: 'minutes', groupBy: ['user'], group: { user: someUser }, window: week })),
      rawSql: timeIt(() =>
        raw
          .prepare('with t as (select user, sum(minutes) v from raw_workouts where at >= ? and at < ? group by user having count(minutes) > 0) select count(*) total, sum(case when v < (select v from t where user = ?) then 1 else 0 end) below from t')
          .get(from, to, someUser),
      ),
    },
    percentileOfValueThisWeek: {
      module: await viaModule((s) => percentileRank(s, { column: 'minutes', value: 60, window: week })),
      rawSql: timeIt(() => {
        raw.prepare('select count(*) n from raw_workouts where at >= ? and at < ? and minutes < ?').get(from, to, 60);
        raw.prepare('select count(*) n from raw_workouts where at >= ? and at < ? and minutes is not null').get(from, to);
      }),
    },
    percentileOfValueAllRows: {
      module: await viaModule((s) => percentileRank(s, { column: 'minutes', value: 60 }), 10),
      rawSql: timeIt(() => {
        raw.prepare('select count(*) n from raw_workouts where minutes < ?').get(60);
        raw.prepare('select count(*) n from raw_workouts where minutes is not null').get();
      }, 10),
    },
  };
  const plan = raw.prepare(`explain query plan select ${col.user}, sum(${col.minutes}) from ${t} where ${col.at} >= ? and ${col.at} < ? group by ${col.user}`).all(from, to);

  console.log(JSON.stringify({
    machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, SQLite ${raw.prepare('select sqlite_version() v').get().v}`,
    date: new Date().toISOString().slice(0, 10),
    rows: ROWS,
    rowsInThisWeek: weekRows,
    insert: {
      moduleRowsPerSecond: Math.round(ROWS / (insertMs / 1000)),
      rawSqlRowsPerSecond: Math.round(ROWS / (rawInsertMs / 1000)),
    },
    queries: results,
    planTopUsers: plan.map((p) => p.detail),
  }, null, 2));
  raw.close();
  await db.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
