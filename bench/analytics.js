// Analytics at scale: every analytics query over 1,000,000 messages (recipient rows) and 1,000,000 events.
// Usage: npm run build -w backend && node bench/analytics.js [rounds]
// A smoke run (seconds, not figures): BENCH_TRACES=2000 node bench/analytics.js 5
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
//
// Seeding is set-based SQL (a recursive CTE on SQLite, generate_series on PostgreSQL), not API calls:
// 100,000 traces of 20 communications over 90 days, each one endpoint call and 10 recipients on 3
// channels (1,000,000 recipient rows; 900,000 message.sent/failed events + the calls = 1,000,000
// events). The hourly rollup of that history is built by one GROUP BY over the seeded events (the seed
// writes each event's communication on the row, where the backend finds it through the trace), the
// daily rollup by one GROUP BY over the hourly rows, the per-channel ones from those (migration 0031's backfill).
// Then: each query (overview, per communication, per channel, trend, heat map) `rounds` times after a
// warm-up (target: p95 < 50 ms); the rollup observer's cost in
// the fan-out, as a ratio to the fan-out without it (20,000 events); and a 1,000,000-row export
// streamed with its peak memory.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { throwawayPostgres } = require('./throwaway-postgres');
const { stats } = require('./support/timing-stats');
const { createDatabase, migrateToLatest, isPostgres } = require('../backend/dist/platform/db/database');
const { loadConfig } = require('../backend/dist/platform/config/config');
const { analyticsQuerySchema, seriesQuerySchema, windowOf, botFigures, figuresBy, series } = require('../backend/dist/analytics/queries');
const { heatmap } = require('../backend/dist/analytics/heatmap');
const { streamExport } = require('../backend/dist/analytics/export');
const { fanOutEvents } = require('../backend/dist/events/fanout');
const { rollUpEvents } = require('../backend/dist/analytics/rollup');
const { CommunicationLabels } = require('../backend/dist/analytics/communication-metrics');
const { systemClock } = require('../backend/dist/platform/clock');
const { Wakeups } = require('../backend/dist/platform/wakeups');
const { backfillChannelRollups } = require('../backend/dist/platform/db/migrations/0031_analytics_channel_rollups');

const rounds = Number(process.argv[2] ?? 100);
const TRACES = Number(process.env.BENCH_TRACES ?? 100_000);
const PER_TRACE = 10;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DAYS = 90;

function numbers(db, count) {
  return isPostgres(db)
    ? `select g as i from generate_series(0::bigint, ${count - 1}) g`
    : `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${count - 1}) select i from n`;
}

async function seed(db, botId, now) {
  const start = now - DAYS * 24 * HOUR;
  const span = DAYS * 24 * HOUR;
  const t = (expr) => `${start} + ((${expr}) * ${Math.floor(span / TRACES)})`;
  const text = (expr) => (isPostgres(db) ? `(${expr})::text` : `cast(${expr} as text)`);
  const div = (a, b) => (isPostgres(db) ? `(${a}) / ${b}` : `cast((${a}) / ${b} as integer)`);
  await db.raw(`insert into messages (id, bot_id, trace_id, content, critical, created_at)
    select 'msg_' || ${text('i')}, ${botId}, 't' || ${text('i')}, '{}', false, ${t('i')} from (${numbers(db, TRACES)}) n`);
  const channel = (expr) => `case (${expr}) % 3 when 0 then 'telegram' when 1 then 'webchat' else 'whatsapp' end`;
  await db.raw(`insert into message_recipients (message_id, bot_id, lead_id, user_id, channel, chat_id, status, attempts, due_at, sent_at, updated_at)
    select 'msg_' || ${text(div('i', PER_TRACE))}, ${botId}, 'ld_' || ${text('i % 50000')}, 'u' || ${text('i % 50000')}, ${channel('i')}, ${text('i % 50000')},
      case when i % 17 = 0 then 'failed' else 'sent' end, 1, ${t(div('i', PER_TRACE))}, ${t(div('i', PER_TRACE))} + 1000, ${t(div('i', PER_TRACE))}
    from (${numbers(db, TRACES * PER_TRACE)}) n`);
  await db.raw(`insert into events (bot_id, type, trace_id, lead_id, user_id, alias, payload, created_at, fanout)
    select ${botId}, 'endpoint.called', 't' || ${text('i')}, null, 'u' || ${text('i % 50000')}, 'comm/' || ${text('i % 20')}, '{}', ${t('i')}, 'unmatched' from (${numbers(db, TRACES)}) n`);
  await db.raw(`insert into events (bot_id, type, trace_id, lead_id, user_id, alias, payload, created_at, fanout)
    select ${botId}, case when i % 17 = 0 then 'message.failed' else 'message.sent' end, 't' || ${text(div('i', 9))}, 'ld_' || ${text('i % 50000')}, 'u' || ${text('i % 50000')},
      'comm/' || ${text(`${div('i', 9)} % 20`)}, '{"channel":"' || ${channel('i')} || '"}', ${t(div('i', 9))} + 1000, 'unmatched'
    from (${numbers(db, TRACES * 9)}) n`);
  // The rollups of that history: one GROUP BY (channel '' for calls), a tenth of the sends answered within 5 minutes.
  const hour = isPostgres(db) ? `(created_at / ${HOUR}) * ${HOUR}` : `cast(created_at / ${HOUR} as integer) * ${HOUR}`;
  const channelOf = isPostgres(db) ? `coalesce(payload::json->>'channel', '')` : `coalesce(json_extract(payload, '$.channel'), '')`;
  await db.raw(`insert into analytics_hourly (bot_id, hour, alias, channel, sent, failed, calls, answered, rt_4, goal_sends, conversions)
    select bot_id, ${hour}, alias, ${channelOf},
      sum(case when type = 'message.sent' then 1 else 0 end), sum(case when type = 'message.failed' then 1 else 0 end),
      sum(case when type = 'endpoint.called' then 1 else 0 end), sum(case when type = 'message.sent' and id % 10 = 0 then 1 else 0 end),
      sum(case when type = 'message.sent' and id % 10 = 0 then 1 else 0 end), sum(case when type = 'message.sent' then 1 else 0 end),
      sum(case when type = 'message.sent' and id % 7 = 0 then 1 else 0 end)
    from events where bot_id = ${botId} group by bot_id, ${hour}, alias, ${channelOf}`);
  // The daily rollup from the hourly one, as the migration backfills it (the backend writes both in one transaction).
  const day = isPostgres(db) ? `(hour / ${DAY}) * ${DAY}` : `cast(hour / ${DAY} as integer) * ${DAY}`;
  const columns = 'sent, failed, calls, answered, rt_4, goal_sends, conversions';
  await db.raw(`insert into analytics_daily (bot_id, day, alias, channel, ${columns})
    select bot_id, ${day}, alias, channel, ${columns.split(', ').map((c) => `sum(${c})`).join(', ')}
    from analytics_hourly where bot_id = ${botId} group by bot_id, ${day}, alias, channel`);
  // The per-channel rollups from those two, as migration 0031 backfills them.
  await backfillChannelRollups(db);
  if (isPostgres(db)) await db.raw('analyze');
}

// Wall time, and this process's CPU time: on the shared, loaded machine wall time is mostly waiting
// for a core; for SQLite (the query runs on this thread) the CPU time is the steadier figure.
async function timeQuery(run) {
  const timings = [];
  const cpu = [];
  for (let round = 0; round < rounds + 5; round += 1) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await run();
    const used = process.cpuUsage(cpuStarted);
    if (round >= 5) {
      timings.push(performance.now() - started);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  const cpuStats = stats(cpu);
  return { ...stats(timings), cpuMedianMs: cpuStats.medianMs, cpuP95Ms: cpuStats.p95Ms };
}

/** The fan-out of `count` fresh events, with and without the rollup observer: the rollups' price per event. */
async function rollupCost(db, botId, count) {
  const ctx = (observers) => ({ db, clock: systemClock, wakeups: new Wakeups(), config: { EVENT_RETENTION_HOURS: 72 }, fanoutObservers: observers, deliveryObservers: [] });
  const insertFresh = async (offset) => {
    const rows = Array.from({ length: count }, (_, i) => ({
      bot_id: botId, type: i % 10 === 0 ? 'endpoint.called' : i % 10 === 9 ? 'message.failed' : 'message.sent', trace_id: `f${offset}-${Math.floor(i / 10)}`,
      lead_id: i % 10 === 0 ? null : `ld_f${i % 5000}`, user_id: `uf${i % 5000}`, alias: i % 10 === 0 ? `comm/${i % 20}` : null,
      payload: JSON.stringify({ channel: 'telegram', messageId: `mf${offset}-${i}` }), created_at: Date.now(),
    }));
    await db.batchInsert('events', rows, 500);
  };
  const pass = async (observers, offset) => {
    await insertFresh(offset);
    const started = performance.now();
    while ((await fanOutEvents(ctx(observers))) > 0);
    return performance.now() - started;
  };
  const baseline = await pass([], 1);
  const withRollups = await pass([rollUpEvents({ communicationLabels: new CommunicationLabels() })], 2);
  return { events: count, fanoutMs: Number(baseline.toFixed(0)), fanoutWithRollupsMs: Number(withRollups.toFixed(0)), perEventMs: Number(((withRollups - baseline) / count).toFixed(3)), ratio: Number((withRollups / baseline).toFixed(2)) };
}

async function exportRun(db, botId, now) {
  let bytes = 0;
  let peakRss = 0;
  const baseRss = process.memoryUsage().rss;
  const started = performance.now();
  const rows = await streamExport(db, botId, { kind: 'messages', format: 'csv', from: new Date(now - (DAYS + 1) * 24 * HOUR).toISOString(), to: new Date(now + HOUR).toISOString() }, async (chunk) => {
    bytes += Buffer.byteLength(chunk);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, () => false);
  return { rows, megabytes: Number((bytes / 1e6).toFixed(1)), seconds: Number(((performance.now() - started) / 1000).toFixed(1)), rowsPerSecond: Math.round(rows / ((performance.now() - started) / 1000)), rssGrowthMb: Number(((peakRss - baseRss) / 1e6).toFixed(1)) };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const pg = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...(pg ? { DATABASE_URL: pg.url } : {}) });
  const db = createDatabase(config);
  try {
    await migrateToLatest(db);
    const now = Date.now();
    const [bot] = await db('bots').insert({ name: 'Bench', timezone: 'Europe/Moscow', settings: '{}', created_at: now }).returning('id');
    const botId = typeof bot === 'object' ? bot.id : bot;
    const seedStarted = performance.now();
    await seed(db, botId, now);
    const seedSeconds = Number(((performance.now() - seedStarted) / 1000).toFixed(1));
    const count = async (table) => Number((await db(table).count({ n: '*' }).first()).n);

    const iso = (ms) => new Date(ms).toISOString();
    const q = (extra) => analyticsQuerySchema.parse({ from: iso(now - extra.days * 24 * HOUR), to: iso(now), ...extra.query });
    const s = (extra) => seriesQuerySchema.parse({ from: iso(now - extra.days * 24 * HOUR), to: iso(now), ...extra.query });
    const queries = {
      'bot, 7 days': (query = q({ days: 7 })) => botFigures(db, botId, query, windowOf(query, now)),
      'bot, 90 days': (query = q({ days: 90 })) => botFigures(db, botId, query, windowOf(query, now)),
      'one communication, 30 days': (query = q({ days: 30, query: { alias: 'comm/7' } })) => botFigures(db, botId, query, windowOf(query, now)),
      'per communication, 30 days': (query = q({ days: 30 })) => figuresBy(db, botId, 'alias', query, windowOf(query, now)),
      'per channel, 30 days': (query = q({ days: 30 })) => figuresBy(db, botId, 'channel', query, windowOf(query, now)),
      'series by hour, 7 days': (query = s({ days: 7, query: { bucket: 'hour' } })) => series(db, botId, 'Europe/Moscow', query, windowOf(query, now)),
      'series by day, 90 days': (query = s({ days: 90, query: { bucket: 'day' } })) => series(db, botId, 'Europe/Moscow', query, windowOf(query, now)),
      'series by week, one communication, 90 days': (query = s({ days: 90, query: { bucket: 'week', alias: 'comm/3' } })) => series(db, botId, 'Europe/Moscow', query, windowOf(query, now)),
      'heat map, 30 days': (query = q({ days: 30 })) => heatmap(db, botId, 'Europe/Moscow', query, windowOf(query, now)),
      'heat map, one communication, 90 days': (query = q({ days: 90, query: { alias: 'comm/5' } })) => heatmap(db, botId, 'Europe/Moscow', query, windowOf(query, now)),
      'heat map, one channel, 90 days': (query = q({ days: 90, query: { channel: 'webchat' } })) => heatmap(db, botId, 'Europe/Moscow', query, windowOf(query, now)),
    };
    const results = {};
    for (const [name, run] of Object.entries(queries)) results[name] = await timeQuery(() => run());
    const rollups = await rollupCost(db, botId, Math.min(20_000, TRACES * PER_TRACE));
    const exported = await exportRun(db, botId, now);
    console.log(JSON.stringify({
      machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`,
      database: config.DATABASE_URL ? 'postgresql' : 'sqlite',
      date: new Date().toISOString(),
      loadAverage: os.loadavg().map((n) => Number(n.toFixed(1))),
      seeded: { seconds: seedSeconds, messageRecipients: await count('message_recipients'), events: await count('events'), rollupRows: await count('analytics_hourly'), dailyRollupRows: await count('analytics_daily'), channelRollupRows: await count('analytics_channel_hourly'), channelDailyRollupRows: await count('analytics_channel_daily') },
      rounds,
      queries: results,
      rollups,
      export: exported,
    }, null, 2));
  } finally {
    await db.destroy();
    await pg?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
