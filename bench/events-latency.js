// Event recorded → subscriber receipt latency at a steady rate, measured two ways against a real HTTP
// receiver in this process (standing in for n8n), on SQLite and (if a URL is given) PostgreSQL:
//  - inbound: Telegram-like updates handed to handleInbound in the backend process (the channel's path),
//    each becomes a message.received event; latency = receipt − handed over, and receipt − occurredAt;
//  - call: POST …/call/users/update from this process; endpoint.called events; call sent → receipt.
// Usage: npm run build && node bench/events-latency.js [seconds=10] [rate=200] [postgres://…/postgres]
const http = require('node:http');
const os = require('node:os');
const crypto = require('node:crypto');
const { Client } = require('pg');
const { startChildServer } = require('./child-server');

const seconds = Number(process.argv[2] ?? 10);
const rate = Number(process.argv[3] ?? 200);
const postgresUrl = process.argv[4];

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });

/** node:http with keep-alive: a light client, so the load generator does not eat the backend's CPU. */
function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function startReceiver(onEvent) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      onEvent(JSON.parse(Buffer.concat(chunks).toString('utf8')), Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/webhook`, close: () => server.close() };
}

async function withDatabase(run) {
  if (!postgresUrl) return run({});
  const name = `metabot_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  try {
    return await run({ DATABASE_URL: url.toString() });
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function measureInbound(env) {
  const handed = [];
  const recorded = [];
  const receiver = await startReceiver((event, at) => {
    handed.push(at - Number(event.data.text));
    recorded.push(at - Date.parse(event.occurredAt));
  });
  const total = seconds * rate;
  const source = await startChildServer('events-source', { BENCH_ENV: JSON.stringify(env), RECEIVER_URL: receiver.url, RATE: String(rate), SECONDS: String(seconds) });
  const deadline = Date.now() + seconds * 1000 + 30_000;
  while (recorded.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  receiver.close();
  source.stop();
  return {
    path: 'inbound update → message.received',
    database: env.DATABASE_URL ? 'postgresql' : 'sqlite',
    events: total,
    received: recorded.length,
    handedToReceiptMs: summarize(handed),
    recordedToReceiptMs: summarize(recorded),
  };
}

async function measureCall(env) {
  const backend = await startChildServer('backend', { BENCH_ENV: JSON.stringify(env) });
  const base = backend.url.replace(/\/call\/users\/update$/, '');
  const headers = { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' };
  const sentAt = new Map();
  const recorded = [];
  const endToEnd = [];
  const callAnswered = [];
  const receiver = await startReceiver((event, at) => {
    recorded.push(at - Date.parse(event.occurredAt));
    const sent = sentAt.get(event.traceId);
    if (sent !== undefined) endToEnd.push(at - sent);
  });
  const created = await fetch(`${base}/subscriptions`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url, events: ['endpoint.called'], aliases: ['users/*'] }) });
  if (created.status !== 201) throw new Error(`subscription failed: ${created.status}`);

  const total = seconds * rate;
  let sent = 0;
  let failed = 0;
  const started = Date.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      for (; sent < due; sent += 1) {
        const traceId = `bench-${sent}`;
        sentAt.set(traceId, Date.now());
        const body = JSON.stringify({ script_request_params: { userId: sent % 500, role: 'user' } });
        post(backend.url, { ...headers, 'x-trace-id': traceId }, body)
          .then((answer) => (callAnswered.push(Date.now() - sentAt.get(traceId)), answer))
          .then((answer) => answer.success || (failed += 1))
          .catch(() => (failed += 1));
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const deadline = Date.now() + 30_000;
  while (recorded.length < total - failed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  receiver.close();
  backend.stop();
  return {
    path: 'POST call → endpoint.called',
    database: env.DATABASE_URL ? 'postgresql' : 'sqlite',
    events: total,
    received: recorded.length,
    callFailures: failed,
    recordedToReceiptMs: summarize(recorded),
    callSentToReceiptMs: summarize(endToEnd),
    callAnswerMs: summarize(callAnswered),
  };
}

async function main() {
  const report = {
    machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`,
    date: new Date().toISOString().slice(0, 10),
    ratePerSecond: rate,
    seconds,
    results: [await measureInbound({}), await measureCall({})],
  };
  if (postgresUrl) report.results.push(await withDatabase(measureInbound), await withDatabase(measureCall));
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
