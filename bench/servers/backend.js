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
  process.stdout.write(`${JSON.stringify({ url: `${server.url}/api/v1/bots/${bot.id}/call/users/update`, token })}\n`);
}
main();
process.on('SIGTERM', () => process.exit(0));
