// The seeding the accept benchmarks share (bench/audience.js, bench/scheduled-accept.js): a backend
// context on a fresh SQLite file or a throwaway PostgreSQL database, one bot, and linked CRM users
// with one Telegram chat each, written in bulk.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { throwawayPostgres } = require('../throwaway-postgres');
const { migrateToLatest } = require('../../backend/dist/platform/db/database');
const { loadConfig } = require('../../backend/dist/platform/config/config');
const { createAppContext, closeAppContext } = require('../../backend/dist/platform/context');
const { createLogger } = require('../../backend/dist/platform/logging/logger');
const { getBot } = require('../../backend/dist/bots/bots');

const idOf = (row) => (typeof row === 'object' ? row.id : row);

/** A migrated backend context (PostgreSQL when BENCH_POSTGRES_URL is set) with one bot; `close()` removes everything. */
async function openBench() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const pg = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...(pg ? { DATABASE_URL: pg.url } : {}) });
  const ctx = createAppContext(config, { logger: createLogger('silent') });
  await migrateToLatest(ctx.db);
  const now = Date.now();
  const [row] = await ctx.db('bots').insert({ name: 'Bench', timezone: 'UTC', settings: '{}', created_at: now }).returning('id');
  const bot = await getBot(ctx, idOf(row));
  return {
    ctx,
    bot,
    now,
    database: pg ? 'PostgreSQL' : 'SQLite',
    async close() {
      await closeAppContext(ctx);
      await pg?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `count` linked users `user-<i>`, each with one reachable Telegram chat `ld_<prefix><i>` and an
 * active account whose profile is `profileOf(i)`; `topicId` subscribes them all to it as users.
 */
async function seedLinkedUsers(db, botId, { count, now, prefix, profileOf = () => ({}), topicId }) {
  const leads = [];
  const links = [];
  const accounts = [];
  const memberships = [];
  for (let i = 0; i < count; i += 1) {
    const userId = `user-${i}`;
    const leadId = `ld_${prefix}${i}`;
    leads.push({ id: leadId, bot_id: botId, channel: 'telegram', chat_id: `telegram-${i}`, first_name: `Name${i}`, attributes: '{}', reachable: true, last_activity_at: now - i, created_at: now });
    links.push({ lead_id: leadId, bot_id: botId, user_id: userId, source: 'api', status: 'connected', connected_at: now });
    accounts.push({ bot_id: botId, user_id: userId, state: 'active', profile: JSON.stringify(profileOf(i)), created_at: now, updated_at: now });
    if (topicId !== undefined) memberships.push({ topic_id: topicId, bot_id: botId, member_kind: 'user', member_id: userId, created_at: now });
  }
  await db.batchInsert('leads', leads, 500);
  await db.batchInsert('links', links, 500);
  await db.batchInsert('user_accounts', accounts, 500);
  if (memberships.length > 0) await db.batchInsert('topic_members', memberships, 500);
  // A database in service has statistics (autovacuum analyzes a table after bulk changes); right after
  // a bulk seed PostgreSQL has none and plans every join as a nested loop over one row.
  if (db.client.config.client === 'pg') await db.raw('analyze');
}

/** A topic of the bot, by key; its id. */
async function createTopic(db, botId, key, now) {
  const [row] = await db('topics').insert({ bot_id: botId, key, name: key, created_at: now }).returning('id');
  return idOf(row);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

module.exports = { openBench, seedLinkedUsers, createTopic, median };
