// Benchmark of resolveRecipients: 10,000 userIds to deliverable chats in one set-based query.
// Usage: npm run build -w backend && node bench/identity-resolve.js [users] [rounds]
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
// Data: `users` linked users, a fifth of them with a second (web chat) lead, 5% paused, 2% blocked,
// plus 10% unknown ids in the request. Target (issue 4): under 50 ms on SQLite.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { throwawayPostgres } = require('./throwaway-postgres');
const { createDatabase, migrateToLatest } = require('../backend/dist/platform/db/database');
const { loadConfig } = require('../backend/dist/platform/config/config');
const { resolveRecipients } = require('../backend/dist/identity/recipients');

const users = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 30);

async function seed(db, botId, now) {
  const leads = [];
  const links = [];
  const accounts = [];
  for (let i = 0; i < users; i += 1) {
    const userId = `user-${i}`;
    const channels = i % 5 === 0 ? ['telegram', 'webchat'] : ['telegram'];
    for (const channel of channels) {
      const id = `ld_${channel[0]}${i}`;
      leads.push({ id, bot_id: botId, channel, chat_id: `${channel}-${i}`, first_name: `Name${i}`, attributes: '{"plan":"gold"}', reachable: true, last_activity_at: now - i, created_at: now });
      links.push({ lead_id: id, bot_id: botId, user_id: userId, source: 'api', status: 'connected', connected_at: now });
    }
    const state = i % 50 === 0 ? 'blocked' : 'active';
    accounts.push({ bot_id: botId, user_id: userId, state, paused_until: i % 20 === 1 ? now + 3_600_000 : null, block_reason: null, created_at: now, updated_at: now });
  }
  await db.batchInsert('leads', leads, 500);
  await db.batchInsert('links', links, 500);
  await db.batchInsert('user_accounts', accounts, 500);
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const pg = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...(pg ? { DATABASE_URL: pg.url } : {}) });
  const db = createDatabase(config);
  await migrateToLatest(db);
  const now = Date.now();
  const [bot] = await db('bots').insert({ name: 'Bench', timezone: 'UTC', settings: '{}', created_at: now }).returning('id');
  const botId = typeof bot === 'object' ? bot.id : bot;
  await seed(db, botId, now);

  const requested = Array.from({ length: users }, (_, i) => (i % 10 === 9 ? `unknown-${i}` : `user-${i}`));
  // Wall time, and this process's CPU time: on a busy shared machine the CPU figure is the steadier
  // one for SQLite (better-sqlite3 runs the query on this thread); PostgreSQL works in its own process.
  const timings = [];
  const cpuTimings = [];
  let answer;
  for (let round = 0; round < rounds + 3; round += 1) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    answer = await resolveRecipients(db, botId, { userIds: requested }, { critical: false, now, channel: 'last' });
    const cpu = process.cpuUsage(cpuStarted);
    if (round >= 3) {
      timings.push(performance.now() - started);
      cpuTimings.push((cpu.user + cpu.system) / 1000);
    }
  }
  const pickFrom = (values, q) => {
    const sorted = [...values].sort((a, b) => a - b);
    return Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1));
  };
  const pick = (q) => pickFrom(timings, q);
  console.log(JSON.stringify({
    machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`,
    database: config.DATABASE_URL ? 'postgresql' : 'sqlite',
    userIds: requested.length,
    rounds,
    medianMs: pick(0.5),
    p95Ms: pick(0.95),
    maxMs: pick(1),
    cpuMedianMs: pickFrom(cpuTimings, 0.5),
    loadAverage: os.loadavg().map((n) => Number(n.toFixed(1))),
    answer: { deliverable: answer.deliverable.length, deferred: answer.deferred.length, unknown: answer.unknown.length, inactive: answer.inactive.length },
  }, null, 2));
  await db.destroy();
  await pg?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
