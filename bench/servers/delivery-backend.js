// The real backend (compiled) for the delivery benchmark: a fresh SQLite file (or BENCH_DATABASE_URL),
// one bot whose Telegram token points at the stand-in (or, with BENCH_CHANNEL=vk, whose VK community
// BENCH_VK_GROUP_ID / BENCH_VK_TOKEN does), an API token, and BENCH_LEADS linked leads
// (users u<chatId>, chat ids from 100000), plus BENCH_GROUPS group chats the bot is in (users g<i>,
// chat ids -1001000000000 - i: a group that wrote to the bot is a lead like any chat).
// Prints one JSON line: { url, botId, token }.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
// BENCH_BACKEND_DIST: another compiled backend (an A/B against a previous commit's build, bench/accept-ab.js).
const dist = path.resolve(process.env.BENCH_BACKEND_DIST ?? path.join(__dirname, '../../backend/dist'));
const { startServer } = require(path.join(dist, 'server'));
const { loadConfig } = require(path.join(dist, 'platform/config/config'));
const { createBot } = require(path.join(dist, 'bots/bots'));
const { createToken } = require(path.join(dist, 'bots/tokens'));
const { setTelegramToken } = require(path.join(dist, 'channels/telegram/telegram-store'));
const { setVkAccount } = require(path.join(dist, 'channels/vk/vk-store'));

const channel = process.env.BENCH_CHANNEL ?? 'telegram';

const FIRST_GROUP_CHAT = -1_001_000_000_000;

async function seed(db, botId, count, groups) {
  const now = Date.now();
  const leads = [];
  const links = [];
  const accounts = [];
  const add = (leadId, chatId, userId, firstName) => {
    leads.push({ id: leadId, bot_id: botId, channel, chat_id: String(chatId), first_name: firstName, attributes: '{"plan":"gold"}', reachable: true, last_activity_at: now, created_at: now });
    links.push({ lead_id: leadId, bot_id: botId, user_id: userId, source: 'api', status: 'connected', connected_at: now });
    accounts.push({ bot_id: botId, user_id: userId, state: 'active', paused_until: null, block_reason: null, created_at: now, updated_at: now });
  };
  for (let i = 0; i < count; i += 1) add(`ld_bench${i}`, 100_000 + i, `u${100_000 + i}`, `Name${i}`);
  for (let i = 0; i < groups; i += 1) add(`ld_group${i}`, FIRST_GROUP_CHAT - i, `g${i}`, `Group${i}`);
  await db.batchInsert('leads', leads, 500);
  await db.batchInsert('links', links, 500);
  await db.batchInsert('user_accounts', accounts, 500);
  // What autovacuum would do within its first minute: without statistics PostgreSQL plans the lead
  // lookups for tables it believes empty (a nested loop over every account: seconds per batch).
  await db.raw(db.client.config.client === 'pg' ? 'analyze leads, links, user_accounts' : 'analyze');
}

async function main() {
  // BENCH_DATA_DIR: reuse a database (a restart after kill -9); the bot and leads are created only once.
  const dataDir = process.env.BENCH_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    SECRET_KEY: 'b'.repeat(64),
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
    ...JSON.parse(process.env.BENCH_ENV ?? '{}'),
  });
  const server = await startServer({ config });
  const existing = await server.ctx.db('bots').first('id');
  if (existing) {
    process.stdout.write(`${JSON.stringify({ url: server.url, botId: existing.id, dataDir })}\n`);
  } else {
    const bot = await createBot(server.ctx, { name: 'Bench' });
    if (channel === 'vk') await setVkAccount(server.ctx, bot.id, { groupId: process.env.BENCH_VK_GROUP_ID, accessToken: process.env.BENCH_VK_TOKEN });
    else await setTelegramToken(server.ctx, bot.id, process.env.BENCH_TELEGRAM_TOKEN);
    await seed(server.ctx.db, bot.id, Number(process.env.BENCH_LEADS ?? 10_000), Number(process.env.BENCH_GROUPS ?? 0));
    const { token } = await createToken(server.ctx, { botId: bot.id });
    process.stdout.write(`${JSON.stringify({ url: server.url, botId: bot.id, token, dataDir })}\n`);
  }
  // BENCH_QUERY_STATS=1: on exit, print the statements run (grouped by their first 70 characters) to stderr.
  const statements = new Map();
  if (process.env.BENCH_QUERY_STATS) server.ctx.db.on('query', (q) => statements.set(q.sql.slice(0, 70), (statements.get(q.sql.slice(0, 70)) ?? 0) + 1));
  process.on('SIGTERM', () => {
    if (process.env.BENCH_QUERY_STATS) process.stderr.write([...statements].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([sql, n]) => `${String(n).padStart(7)} ${sql}`).join('\n') + '\n');
    void server.close().then(() => process.exit(0));
  });
}
main();
