// The real backend (compiled) on a fresh database, with one bot subscribed to RECEIVER_URL. Prints one
// JSON line when ready, then hands it RATE Telegram-like updates per second for SECONDS, through the
// same handleInbound a channel calls (500 distinct chats), each text carrying the time it was handed over.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../../backend/dist/server');
const { loadConfig } = require('../../backend/dist/platform/config/config');
const { createBot } = require('../../backend/dist/bots/bots');
const { createSubscription } = require('../../backend/dist/events/subscriptions');
const { handleInbound } = require('../../backend/dist/inbound/inbound');

async function main() {
  const rate = Number(process.env.RATE);
  const total = rate * Number(process.env.SECONDS);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-bench-'));
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: 'true', ...(process.env.BENCH_ENV && JSON.parse(process.env.BENCH_ENV)) });
  const server = await startServer({ config });
  const bot = await createBot(server.ctx, { name: 'Bench' });
  await createSubscription(server.ctx, bot.id, { url: process.env.RECEIVER_URL, events: ['message.received'], aliases: [], answers: false });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

  let sent = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
    for (; sent < due; sent += 1) {
      const update = { botId: bot.id, channel: 'telegram', chatId: String(1000 + (sent % 500)), updateId: String(sent), kind: 'message', text: String(Date.now()), profile: { firstName: 'Bench' } };
      handleInbound(server.ctx, update).catch((error) => console.error(error));
    }
    if (sent >= total) clearInterval(timer);
  }, 2);
}
main();
