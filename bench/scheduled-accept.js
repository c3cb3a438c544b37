// Benchmark of accepting a send to many users: at once, with a delay, and at a local time (each
// person's zone read from their CRM profile), so the cost of scheduling shows as a ratio.
// Usage: npm run build -w backend && node bench/scheduled-accept.js [users] [rounds]
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
// Data: `users` linked users, half of them with a `timeZone` in their profile (four zones).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { throwawayPostgres } = require('./throwaway-postgres');
const { migrateToLatest } = require('../backend/dist/platform/db/database');
const { loadConfig } = require('../backend/dist/platform/config/config');
const { createAppContext, closeAppContext } = require('../backend/dist/platform/context');
const { createLogger } = require('../backend/dist/platform/logging/logger');
const { getBot } = require('../backend/dist/bots/bots');
const { acceptMessage, sendMessageSchema } = require('../backend/dist/delivery/messages');

const users = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 10);
const ZONES = ['Asia/Tokyo', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney'];

async function seed(db, botId, now) {
  const leads = [];
  const links = [];
  const accounts = [];
  for (let i = 0; i < users; i += 1) {
    const userId = `user-${i}`;
    leads.push({ id: `ld_t${i}`, bot_id: botId, channel: 'telegram', chat_id: `telegram-${i}`, first_name: `Name${i}`, attributes: '{}', reachable: true, last_activity_at: now - i, created_at: now });
    links.push({ lead_id: `ld_t${i}`, bot_id: botId, user_id: userId, source: 'api', status: 'connected', connected_at: now });
    const profile = i % 2 === 0 ? JSON.stringify({ timeZone: ZONES[(i / 2) % ZONES.length] }) : '{}';
    accounts.push({ bot_id: botId, user_id: userId, state: 'active', profile, created_at: now, updated_at: now });
  }
  await db.batchInsert('leads', leads, 500);
  await db.batchInsert('links', links, 500);
  await db.batchInsert('user_accounts', accounts, 500);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const pg = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...(pg ? { DATABASE_URL: pg.url } : {}) });
  const ctx = createAppContext(config, { logger: createLogger('silent') });
  await migrateToLatest(ctx.db);
  const now = Date.now();
  const [row] = await ctx.db('bots').insert({ name: 'Bench', timezone: 'UTC', settings: '{}', created_at: now }).returning('id');
  const bot = await getBot(ctx, typeof row === 'object' ? row.id : row);
  await seed(ctx.db, bot.id, now);
  const userIds = Array.from({ length: users }, (_, i) => `user-${i}`);
  const kinds = { 'at once': {}, 'delaySeconds 86400': { delaySeconds: 86_400 }, 'localTime 10:00': { localTime: '10:00' } };
  const results = {};
  for (let round = 0; round < rounds + 2; round += 1) {
    for (const [name, schedule] of Object.entries(kinds)) {
      const request = sendMessageSchema.parse({ userIds, text: 'Hello {{ lead.firstName }}', ...schedule });
      const started = performance.now();
      await ctx.db.transaction((trx) => acceptMessage(trx, ctx, bot, request, { traceId: `bench-${round}`, dryRun: false }));
      if (round >= 2) (results[name] ??= []).push(performance.now() - started);
    }
  }
  const baseline = median(results['at once']);
  console.log(`${pg ? 'PostgreSQL' : 'SQLite'}, ${users} users, ${rounds} rounds (median ms, ratio to "at once"):`);
  for (const [name, times] of Object.entries(results)) console.log(`  ${name.padEnd(20)} ${median(times).toFixed(1).padStart(8)}  ×${(median(times) / baseline).toFixed(2)}`);
  await closeAppContext(ctx);
  await pg?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
