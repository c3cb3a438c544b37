// The cost of an answer decided by the workflow: the same calls to an endpoint answering "accepted"
// and to one answering from the workflow (an answering HTTP receiver in this process, standing in for
// n8n held until Answer Call, responds at once), at a fixed concurrency, on SQLite and (if a URL is
// given) PostgreSQL. Reports call latency percentiles and workflow/accepted ratios of the same run.
// Usage: npm run build && node bench/workflow-answer.js [calls=500] [concurrency=10] [postgres://…/postgres]
const http = require('node:http');
const os = require('node:os');
const crypto = require('node:crypto');
const { Client } = require('pg');
const { startChildServer } = require('./child-server');

const calls = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? 10);
const postgresUrl = process.argv[4];

const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });

function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
  return { p50: at(50), p90: at(90), p99: at(99) };
}

const map = {
  name: 'Bench answers',
  endpoints: [
    { alias: 'bench/accepted', purpose: 'Answered once stored', owner: 'bench' },
    { alias: 'bench/workflow', purpose: 'Answered by the workflow', owner: 'bench', answer: 'workflow', answerTimeoutMs: 10000, fallback: { success: false, message: 'fallback' } },
  ],
};

async function startAnsweringReceiver() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"message":"Found"}'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/webhook`, close: () => server.close() };
}

async function run(base, headers, alias) {
  const latencies = [];
  let next = 0;
  let wrong = 0;
  const worker = async () => {
    while (next < calls) {
      next += 1;
      const started = performance.now();
      const answer = await post(`${base}/call/${alias}`, headers, '{"script_request_params":{}}');
      latencies.push(performance.now() - started);
      if (answer.status !== 200 || answer.body.success !== true) wrong += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { alias, calls, notSuccess: wrong, perSecond: Math.round(calls / ((performance.now() - started) / 1000)), latencyMs: summarize(latencies) };
}

async function measure(env) {
  const backend = await startChildServer('backend', { BENCH_ENV: JSON.stringify(env) });
  const receiver = await startAnsweringReceiver();
  const base = backend.url.replace(/\/call\/users\/update$/, '');
  const headers = { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' };
  try {
    if ((await post(`${base}/maps`, headers, JSON.stringify({ document: map }))).status !== 201) throw new Error('map import failed');
    const subscription = JSON.stringify({ url: receiver.url, events: ['endpoint.called'], aliases: ['bench/workflow'], answers: true });
    if ((await post(`${base}/subscriptions`, headers, subscription)).status !== 201) throw new Error('subscription failed');
    await run(base, headers, 'bench/accepted'); // warm-up
    const accepted = await run(base, headers, 'bench/accepted');
    const workflow = await run(base, headers, 'bench/workflow');
    const ratio = (key) => Math.round((workflow.latencyMs[key] / accepted.latencyMs[key]) * 10) / 10;
    return { database: env.DATABASE_URL ? 'postgresql' : 'sqlite', accepted, workflow, workflowToAccepted: { p50: ratio('p50'), p90: ratio('p90'), p99: ratio('p99') } };
  } finally {
    receiver.close();
    await backend.stop();
  }
}

async function withDatabase(work) {
  const name = `metabot_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  try {
    return await work({ DATABASE_URL: url.toString() });
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function main() {
  const results = [await measure({})];
  if (postgresUrl) results.push(await withDatabase(measure));
  const report = { machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`, date: new Date().toISOString().slice(0, 10), load: os.loadavg().map((l) => l.toFixed(1)).join(' '), concurrency, results };
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
