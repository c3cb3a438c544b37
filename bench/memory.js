// The backend's memory (RSS of its process, from /proc): idle; during a fan-out to many recipients
// with the Telegram stand-in's limits off; and over a soak of integration calls at a steady rate,
// sampled every 30 s, with the slope of a least-squares line through the samples (MB per minute:
// a leak shows as a slope that does not flatten with longer soaks).
// The backend runs in its own process: bench/servers/delivery-backend.js seeds the database and stops,
// then `metabot-backend serve` (backend/dist/main.js, with its shebang's Node flags, or BENCH_NODE_ARGS)
// is started on it and measured; the stand-in and an events receiver (the subscriber of every call's event, answering 200 at once) run here.
// Usage: npm run build && node bench/memory.js [--minutes 10] [--fanout 100000] [--rate 200]
//        BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres node bench/memory.js …   (throwaway database)
const http = require('node:http');
const os = require('node:os');
const { parseArgs } = require('node:util');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { backendNodeArgs, startChildServer } = require('./child-server');
const { loadStandin, requireTs } = require('./standin-loader');
const { throwawayPostgres } = require('./throwaway-postgres');
const { rssMb } = require('./support/process-stats');

const SAMPLE_EVERY_MS = 30_000;
const IDLE_MS = 10_000;
const CALLERS = 500; // distinct userIds the soak's calls name
// Calls still unanswered beyond this are not made (counted as skipped): a backend that falls behind
// would otherwise hold an ever longer queue of open requests, and that is not the memory asked about.
const MAX_IN_FLIGHT = 1000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const progress = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const mb = (value) => +value.toFixed(1);

function readOptions() {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, fanout: { type: 'string', default: '100000' }, rate: { type: 'string', default: '200' } } });
  return { minutes: Number(values.minutes), fanout: Number(values.fanout), rate: Number(values.rate) };
}

/** Least-squares slope of MB over minutes. */
function slopePerMinute(samples) {
  if (samples.length < 2) return null;
  const xs = samples.map((s) => s.atMinutes);
  const ys = samples.map((s) => s.rssMb);
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  const [mx, my] = [mean(xs), mean(ys)];
  const num = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return +(num / den).toFixed(3);
}

/** The subscriber of the soak's events: counts them and answers 200. */
function startReceiver() {
  const receiver = { received: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receiver.received += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ stats: receiver, url: `http://127.0.0.1:${server.address().port}/events`, close: () => new Promise((r) => server.close(r)) })));
}

/**
 * `metabot-backend serve` on the seeded database, started as the product starts it: the binary's
 * Node flags (its shebang's; BENCH_NODE_ARGS instead, for an A/B), the configuration from the environment.
 */
async function startServe(seeded, env) {
  const port = await requireTs('../scripts/first-run/processes.ts').freePort();
  const nodeArgs = backendNodeArgs();
  const config = { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: seeded.dataDir, SECRET_KEY: 'b'.repeat(64), ...(env.BENCH_DATABASE_URL ? { DATABASE_URL: env.BENCH_DATABASE_URL } : {}), ...JSON.parse(env.BENCH_ENV) };
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '../backend/dist/main.js'), 'serve'], { env: { ...process.env, ...config }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`metabot-backend serve did not start (exit ${child.exitCode})`);
    await sleep(100);
  }
  return { url, pid: child.pid, botId: seeded.botId, token: seeded.token, nodeArgs, stop: () => (child.kill('SIGTERM'), exited) };
}

async function apiOf(backend) {
  return async (method, path, body) => {
    const answer = await fetch(`${backend.url}/api/v1/bots/${backend.botId}${path}`, { method, headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: answer.status, body: await answer.json().catch(() => ({})) };
  };
}

async function idle(backend) {
  await sleep(IDLE_MS);
  return { rssMb: mb(rssMb(backend.pid)) };
}

async function fanOut(backend, api, bot, recipients) {
  const before = rssMb(backend.pid);
  let peak = before;
  const userIds = Array.from({ length: recipients }, (_, i) => `u${100_000 + i}`);
  const started = Date.now();
  // The API takes 10,000 recipients a send: a bigger fan-out is several sends queued at once.
  for (let from = 0; from < recipients; from += 10_000) {
    const sent = await api('POST', '/messages', { userIds: userIds.slice(from, from + 10_000), text: 'Fan-out {{ lead.firstName }}' });
    if (sent.status !== 202) throw new Error(`send refused: ${sent.status} ${JSON.stringify(sent.body).slice(0, 300)}`);
    peak = Math.max(peak, rssMb(backend.pid));
  }
  const deadline = Date.now() + Math.max(120_000, recipients * 5);
  while (bot.messages.length < recipients && Date.now() < deadline) {
    await sleep(500);
    peak = Math.max(peak, rssMb(backend.pid));
  }
  await sleep(5_000);
  return { recipients, delivered: bot.messages.length, seconds: +((Date.now() - started) / 1000).toFixed(1), rssBeforeMb: mb(before), rssPeakMb: mb(peak), rssAfterMb: mb(rssMb(backend.pid)) };
}

async function soak(backend, receiver, { minutes, rate }) {
  const url = `${backend.url}/api/v1/bots/${backend.botId}/call/bench/soak`;
  const headers = { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' };
  const counts = { calls: 0, skipped: 0, failed: {} };
  const fail = (reason) => (counts.failed[reason] = (counts.failed[reason] ?? 0) + 1);
  const samples = [{ atMinutes: 0, rssMb: mb(rssMb(backend.pid)) }];
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  let nextSample = started + SAMPLE_EVERY_MS;
  const inFlight = new Set();
  while (Date.now() < endAt) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    for (; counts.calls + counts.skipped < due; ) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        counts.skipped += 1;
        continue;
      }
      counts.calls += 1;
      const body = JSON.stringify({ script_request_params: { userId: `u${100_000 + (counts.calls % CALLERS)}`, n: counts.calls } });
      const call = fetch(url, { method: 'POST', headers, body })
        .then((answer) => answer.json().then((json) => json.success || fail(`HTTP ${answer.status} ${json.code ?? ''}`.trim())))
        .catch((error) => fail(error.cause?.code ?? error.message))
        .finally(() => inFlight.delete(call));
      inFlight.add(call);
    }
    if (Date.now() >= nextSample) {
      samples.push({ atMinutes: +((Date.now() - started) / 60_000).toFixed(2), rssMb: mb(rssMb(backend.pid)) });
      progress(`soak: ${counts.calls} calls, RSS ${samples.at(-1).rssMb} MB`);
      nextSample += SAMPLE_EVERY_MS;
    }
    await sleep(5);
  }
  samples.push({ atMinutes: +((Date.now() - started) / 60_000).toFixed(2), rssMb: mb(rssMb(backend.pid)) });
  const soakSeconds = (Date.now() - started) / 1000;
  await Promise.all(inFlight);
  await sleep(3_000);
  return {
    minutes,
    offeredPerSecond: rate,
    calledPerSecond: +(counts.calls / soakSeconds).toFixed(1),
    calls: counts.calls,
    skipped: counts.skipped,
    failed: counts.failed,
    eventsReceived: receiver.stats.received,
    samples,
    slopeMbPerMinute: slopePerMinute(samples),
    rssAfterDrainMb: mb(rssMb(backend.pid)),
  };
}

async function main() {
  const options = readOptions();
  const loadBefore = os.loadavg().map((l) => +l.toFixed(1));
  const { TelegramStandin } = loadStandin();
  const standin = await TelegramStandin.start({ limits: { enabled: false } });
  const bot = standin.createBot();
  const receiver = await startReceiver();
  const postgres = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  progress(`seeding ${options.fanout} leads`);
  const env = {
    BENCH_TELEGRAM_TOKEN: bot.token,
    BENCH_LEADS: String(options.fanout),
    ...(postgres ? { BENCH_DATABASE_URL: postgres.url } : {}),
    BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, DELIVERY_RATE_PER_SECOND: '100000', DELIVERY_CHAT_SPACING_MS: '0', DELIVERY_POLL_MS: '20', WEBHOOK_ALLOW_PRIVATE: 'true' }),
  };
  // The seed builds its rows in the backend's own heap; V8 keeps the pages it grew into. So the seeding
  // process stops, and the one measured is `metabot-backend serve` on the seeded database, as deployed.
  const seeded = await startChildServer('delivery-backend', env);
  await seeded.stop();
  const backend = await startServe(seeded, env);
  try {
    const api = await apiOf(backend);
    const map = await api('POST', '/maps', { document: { name: 'Bench soak', endpoints: [{ alias: 'bench/soak', purpose: 'The CRM reports something', owner: 'bench' }] } });
    if (map.status !== 201) throw new Error(`map import: ${JSON.stringify(map.body)}`);
    const subscribed = await api('POST', '/subscriptions', { url: receiver.url, events: ['endpoint.called'], aliases: ['bench/*'] });
    if (subscribed.status !== 201) throw new Error(`subscription: ${JSON.stringify(subscribed.body)}`);
    progress('idle');
    const idleResult = await idle(backend);
    progress(`fan-out to ${options.fanout}`);
    const fanOutResult = await fanOut(backend, api, bot, options.fanout);
    progress(`soak at ${options.rate}/s for ${options.minutes} min`);
    const soakResult = await soak(backend, receiver, options);
    console.log(JSON.stringify({
      machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`,
      database: postgres ? 'postgresql' : 'sqlite',
      nodeArgs: backend.nodeArgs,
      date: new Date().toISOString().slice(0, 16),
      loadBefore,
      loadAfter: os.loadavg().map((l) => +l.toFixed(1)),
      idle: idleResult,
      fanOut: fanOutResult,
      soak: soakResult,
    }, null, 2));
  } finally {
    await backend.stop();
    await standin.close();
    await receiver.close();
    await postgres?.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
