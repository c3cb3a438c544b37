// The real backend (compiled), on a fresh SQLite file, with one bot, one token and the user-account map.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../../backend/dist/server');
const { loadConfig } = require('../../backend/dist/platform/config/config');
const { createBot } = require('../../backend/dist/bots/bots');
const { createToken } = require('../../backend/dist/bots/tokens');
const { importMap } = require('../../backend/dist/maps/maps');

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: 'true', ...process.env.BENCH_ENV && JSON.parse(process.env.BENCH_ENV) });
  const server = await startServer({ config });
  const bot = await createBot(server.ctx, { name: 'Bench' });
  const map = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/maps/user-account.json'), 'utf8'));
  await importMap(server.ctx, bot.id, map, { author: 'bench' });
  const { token } = await createToken(server.ctx, { botId: bot.id });
  // BENCH_QUERY_STATS=1: on exit, print to stderr the statements run from now on per call stored
  // (every round trip: BEGIN and COMMIT count), grouped by their first 70 characters.
  const statements = new Map();
  if (process.env.BENCH_QUERY_STATS) server.ctx.db.on('query', (q) => statements.set(q.sql.slice(0, 70), (statements.get(q.sql.slice(0, 70)) ?? 0) + 1));
  process.stdout.write(`${JSON.stringify({ url: `${server.url}/api/v1/bots/${bot.id}/call/users/update`, token })}\n`);
  process.on('SIGTERM', async () => {
    if (process.env.BENCH_QUERY_STATS) {
      const counted = [...statements];
      const [{ n }] = await server.ctx.db('events').where({ type: 'endpoint.called' }).count({ n: '*' });
      const total = counted.reduce((sum, [, count]) => sum + count, 0);
      const perCall = (count) => (count / Number(n)).toFixed(3);
      process.stderr.write(`${n} calls stored, ${perCall(total)} statements per call\n`);
      process.stderr.write(counted.sort((a, b) => b[1] - a[1]).slice(0, 25).map(([sql, count]) => `${perCall(count).padStart(7)} ${sql.replace(/\s+/g, ' ')}`).join('\n') + '\n');
    }
    process.exit(0);
  });
}
main();
