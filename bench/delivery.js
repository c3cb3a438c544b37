// Delivery benchmarks against the Telegram stand-in (issue 3):
//   (a) accepting a 10,000-recipient send: latency p50 (all rows persisted before the answer), posted right
//       after the previous send reached the stand-in and, alternated, on a quiet backend;
//   (b) engine capacity with the stand-in's limits off (messages/s);
//   (c) achieved rate with Telegram's limits on (30/s): share of the limit, lost, duplicates.
// Usage: npm run build -w backend && node bench/delivery.js [acceptRounds] [limitedRecipients] [capacityRecipients]
//        BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres node bench/delivery.js …   (throwaway databases)
// BENCH_PROFILE=<dir> writes the backend's CPU profile there; BENCH_QUERY_STATS=1 prints its statements.
// The backend runs in its own process (bench/servers/delivery-backend.js); the stand-in runs here.
const os = require('node:os');
const { startChildServer } = require('./child-server');
const { loadStandin } = require('./standin-loader');
const { throwawayPostgres } = require('./throwaway-postgres');
const { median, postMessage } = require('./support/messages-api');
const { cpuMs } = require('./support/process-stats');

const acceptRounds = Number(process.argv[2] ?? 7);
const limitedRecipients = Number(process.argv[3] ?? 900);
const LEADS = Number(process.argv[4] ?? 10_000);
const dialect = process.env.BENCH_POSTGRES_URL ? 'PostgreSQL' : 'SQLite';

/** A fresh database for one backend process: a SQLite file of its own, or a throwaway PostgreSQL database. */
async function freshDatabase() {
  if (!process.env.BENCH_POSTGRES_URL) return { env: {}, drop: async () => {} };
  const postgres = await throwawayPostgres(process.env.BENCH_POSTGRES_URL);
  return { env: { BENCH_DATABASE_URL: postgres.url }, drop: postgres.drop };
}

const userIds = (from, count) => Array.from({ length: count }, (_, i) => `u${100_000 + from + i}`);

async function waitForMessages(telegram, text, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = telegram.messages.filter((m) => m.text === text);
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function report(label, messages, expected, extra = {}) {
  const perChat = new Map();
  for (const m of messages) perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
  const duplicates = [...perChat.values()].filter((n) => n > 1).length;
  const times = messages.map((m) => m.at);
  const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
  const rate = (messages.length - 1) / seconds;
  console.log(JSON.stringify({ run: label, delivered: perChat.size, expected, lost: expected - perChat.size, duplicates, seconds: +seconds.toFixed(2), perSecond: +rate.toFixed(1), ...extra }));
  return rate;
}

async function main() {
  const { TelegramStandin } = loadStandin();

  // (a) + (b): limits off; the bot's rate high enough that the engine is the bottleneck.
  const fast = await TelegramStandin.start({ limits: { enabled: false } });
  const fastBot = fast.createBot();
  const fastDb = await freshDatabase();
  const engine = await startChildServer('delivery-backend', {
    ...fastDb.env,
    BENCH_TELEGRAM_TOKEN: fastBot.token,
    BENCH_LEADS: String(LEADS),
    BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: fast.apiRoot, DELIVERY_RATE_PER_SECOND: '100000', DELIVERY_CHAT_SPACING_MS: '0', DELIVERY_POLL_MS: '20' }),
  });
  try {
    // Two kinds of round, alternated: the next send posted as soon as the stand-in has every message
    // of the previous one (the backend is still recording outcomes, `message.sent` events and rollups
    // for it), and posted once the backend is quiet (every row sent, then QUIET_MS with nothing to do).
    const latencies = { afterFanOut: [], quiet: [] };
    for (let round = 0; round < 2 * acceptRounds; round += 1) {
      const kind = round % 2 === 0 ? 'afterFanOut' : 'quiet';
      const { ms, answer } = await postMessage(engine, { userIds: userIds(0, LEADS), text: `Accept ${round}: {{ lead.firstName }}` });
      latencies[kind].push(ms);
      await waitForPrefix(fastBot, `Accept ${round}: `, LEADS, 120_000);
      if (kind === 'afterFanOut') await waitUntilSent(engine, answer.messageId, LEADS);
    }
    const summary = (values) => ({ p50Ms: Math.round(median(values)), minMs: Math.round(Math.min(...values)), maxMs: Math.round(Math.max(...values)) });
    if (acceptRounds > 0) console.log(JSON.stringify({ run: `accept ${LEADS} recipients (${dialect})`, rounds: acceptRounds, ...summary(latencies.afterFanOut), quiet: summary(latencies.quiet) }));

    const cpuBefore = cpuMs(engine.pid);
    await postMessage(engine, { userIds: userIds(0, LEADS), text: 'Capacity {{ lead.firstName }} {{ lead.attributes.plan }}' });
    const delivered = await waitForPrefix(fastBot, 'Capacity ', LEADS, 120_000);
    // The backend's CPU per message (accepting the send included): 1000 / it is the ceiling with a core to itself.
    const backendCpuMsPerMessage = +((cpuMs(engine.pid) - cpuBefore) / LEADS).toFixed(3);
    report(`engine capacity, limits off (${dialect})`, delivered, LEADS, { backendCpuMsPerMessage, load: os.loadavg()[0].toFixed(1) });
  } finally {
    await engine.stop();
    await fast.close();
    await fastDb.drop();
  }

  if (limitedRecipients === 0) return;
  // (c) Telegram's limits on: the backend's default rate.
  const limited = await TelegramStandin.start();
  const limitedBot = limited.createBot();
  const limitedDb = await freshDatabase();
  const paced = await startChildServer('delivery-backend', {
    ...limitedDb.env,
    BENCH_TELEGRAM_TOKEN: limitedBot.token,
    BENCH_LEADS: String(limitedRecipients),
    BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: limited.apiRoot }),
  });
  try {
    await postMessage(paced, { userIds: userIds(0, limitedRecipients), text: 'Paced' });
    const delivered = await waitForMessages(limitedBot, 'Paced', limitedRecipients, limitedRecipients * 100);
    const rate = report('Telegram limits on (30/s)', delivered, limitedRecipients);
    console.log(JSON.stringify({ run: 'share of 30/s', percent: +((rate / 30) * 100).toFixed(1), refused429: limitedBot.rejected.rateLimited }));
  } finally {
    await paced.stop();
    await limited.close();
    await limitedDb.drop();
  }
}

const QUIET_MS = 1000;

/** Until the backend reports every row of the send sent, then QUIET_MS more for the events it recorded. */
async function waitUntilSent(backend, messageId, count) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${backend.url}/api/v1/bots/${backend.botId}/messages/${messageId}?limit=1`, { headers: { authorization: `Bearer ${backend.token}` } });
    const { message } = await res.json();
    if (message.counts.sent >= count) break;
    if (Date.now() > deadline) throw new Error(`message ${messageId}: ${JSON.stringify(message.counts)} after 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, QUIET_MS));
}

async function waitForPrefix(telegram, prefix, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = telegram.messages.filter((m) => m.text?.startsWith(prefix));
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
