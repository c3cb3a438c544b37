// A/B of accepting a 10,000-recipient send over HTTP: two backends at once (BENCH_BASE_DIST, a compiled
// backend/dist of another commit, and this build), each on its own database, one send each per round
// in alternating order, each posted on a quiet backend (the previous send all sent, then 1 s). Both
// see the same load, so the ratio holds on a shared machine where one run's p50 does not.
// Usage: npm run build -w backend && BENCH_BASE_DIST=/path/to/dist node bench/accept-ab.js [rounds]
//        BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres …   (throwaway databases)
const os = require('node:os');
const path = require('node:path');
const { startChildServer } = require('./child-server');
const { loadStandin } = require('./standin-loader');
const { throwawayPostgres } = require('./throwaway-postgres');
const { median, postMessage } = require('./support/messages-api');

const LEADS = 10_000;
const QUIET_MS = 1000;
const rounds = Number(process.argv[2] ?? 11);
const userIds = Array.from({ length: LEADS }, (_, i) => `u${100_000 + i}`);

/** Until every row of the send is sent, then QUIET_MS more: the next send meets a quiet backend. */
async function waitUntilSent(backend, messageId) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${backend.url}/api/v1/bots/${backend.botId}/messages/${messageId}?limit=0`, { headers: { authorization: `Bearer ${backend.token}` } });
    const { message } = await res.json();
    if (message.counts.sent >= LEADS) break;
    if (Date.now() > deadline) throw new Error(`message ${messageId}: ${JSON.stringify(message.counts)} after 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, QUIET_MS));
}

async function freshDatabase() {
  if (!process.env.BENCH_POSTGRES_URL) return { env: {}, drop: async () => {} };
  const postgres = await throwawayPostgres(process.env.BENCH_POSTGRES_URL);
  return { env: { BENCH_DATABASE_URL: postgres.url }, drop: postgres.drop };
}

async function main() {
  if (!process.env.BENCH_BASE_DIST) throw new Error('BENCH_BASE_DIST: the compiled backend/dist to compare with');
  const { TelegramStandin } = loadStandin();
  const standin = await TelegramStandin.start({ limits: { enabled: false } });
  const builds = { base: path.resolve(process.env.BENCH_BASE_DIST), 'this build': path.join(__dirname, '..', 'backend', 'dist') };
  const databases = [];
  const backends = {};
  try {
    for (const [name, dist] of Object.entries(builds)) {
      const database = await freshDatabase();
      databases.push(database);
      backends[name] = await startChildServer('delivery-backend', {
        ...database.env,
        BENCH_BACKEND_DIST: dist,
        BENCH_TELEGRAM_TOKEN: standin.createBot().token,
        BENCH_LEADS: String(LEADS),
        BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, DELIVERY_RATE_PER_SECOND: '100000', DELIVERY_CHAT_SPACING_MS: '0', DELIVERY_POLL_MS: '20' }),
      });
    }
    const names = Object.keys(builds);
    const times = Object.fromEntries(names.map((name) => [name, []]));
    // Round 0 warms both up and is not counted.
    for (let round = 0; round <= rounds; round += 1) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { ms, answer: { messageId } } = await postMessage(backends[name], { userIds, text: `Round ${round}: {{ lead.firstName }}` });
        if (round > 0) times[name].push(ms);
        await waitUntilSent(backends[name], messageId);
      }
    }
    const dialect = process.env.BENCH_POSTGRES_URL ? 'PostgreSQL' : 'SQLite';
    for (const name of names) console.log(JSON.stringify({ run: `accept ${LEADS} recipients, quiet (${dialect}, ${name})`, rounds, p50Ms: Math.round(median(times[name])), all: times[name].map(Math.round), load: os.loadavg()[0].toFixed(1) }));
  } finally {
    for (const backend of Object.values(backends)) await backend.stop();
    await standin.close();
    for (const database of databases) await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
