// Benchmark of accepting a send to a topic's members: one INSERT … SELECT writes every recipient row.
// Usage: npm run build -w backend && node bench/audience.js [members] [rounds]
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
// Data: `members` linked users, each with one Telegram chat, all subscribed to one topic as users
// (the user → chat resolution is the costlier path); every round checks that each member got a row.
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

const members = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 5);

async function seed(db, botId, topicId, now) {
  const leads = [];
  const links = [];
  const accounts = [];
  const memberships = [];
  for (let i = 0; i < members; i += 1) {
    const userId = `user-${i}`;
    leads.push({ id: `ld_a${i}`, bot_id: botId, channel: 'telegram', chat_id: `telegram-${i}`, first_name: `Name${i}`, attributes: '{}', reachable: true, last_activity_at: now - i, created_at: now });
    links.push({ lead_id: `ld_a${i}`, bot_id: botId, user_id: userId, source: 'api', status: 'connected', connected_at: now });
    accounts.push({ bot_id: botId, user_id: userId, state: 'active', created_at: now, updated_at: now });
    memberships.push({ topic_id: topicId, bot_id: botId, member_kind: 'user', member_id: userId, created_at: now });
  }
  await db.batchInsert('leads', leads, 500);
  await db.batchInsert('links', links, 500);
  await db.batchInsert('user_accounts', accounts, 500);
  await db.batchInsert('topic_members', memberships, 500);
  // A database in service has statistics (autovacuum analyzes a table after bulk changes); right after
  // a bulk seed PostgreSQL has none and plans every join as a nested loop over one row.
  if (db.client.config.client === 'pg') await db.raw('analyze');
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
  const [topic] = await ctx.db('topics').insert({ bot_id: bot.id, key: 'everyone', name: 'Everyone', created_at: now }).returning('id');
  await seed(ctx.db, bot.id, typeof topic === 'object' ? topic.id : topic, now);
  const request = sendMessageSchema.parse({ topics: ['everyone'], text: 'Hello {{ lead.firstName }}' });
  const times = [];
  for (let round = 0; round < rounds + 1; round += 1) {
    const started = performance.now();
    const accepted = await ctx.db.transaction((trx) => acceptMessage(trx, ctx, bot, request, { traceId: `bench-${round}`, dryRun: false }));
    const elapsed = performance.now() - started;
    const [{ n }] = await ctx.db('message_recipients').where({ message_id: accepted.body.messageId }).count({ n: '*' });
    if (Number(n) !== members) throw new Error(`round ${round}: ${n} recipient rows for ${members} members`);
    if (round >= 1) times.push(elapsed);
  }
  console.log(`${pg ? 'PostgreSQL' : 'SQLite'}, a send to a topic of ${members} members, ${rounds} rounds: median ${median(times).toFixed(1)} ms to accept (every row persisted)`);
  await closeAppContext(ctx);
  await pg?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
