// The real backend (compiled) for the web chat push benchmark: BENCH_ENV chooses the database; with
// CREATE_BOT=1 it also creates the bot. Prints {url, botId} once listening.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../../backend/dist/server');
const { loadConfig } = require('../../backend/dist/platform/config/config');
const { createBot } = require('../../backend/dist/bots/bots');

async function main() {
  const env = JSON.parse(process.env.BENCH_ENV || '{}');
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', WORKERS_ENABLED: 'false', WEBCHAT_VISITOR_PER_MINUTE: '100000', ...env, DATA_DIR: dataDir });
  const server = await startServer({ config });
  const botId = process.env.CREATE_BOT === '1' ? (await createBot(server.ctx, { name: 'Bench' })).id : null;
  process.stdout.write(`${JSON.stringify({ url: server.url, botId, dataDir })}\n`);
}
main();
process.on('SIGTERM', () => process.exit(0));
