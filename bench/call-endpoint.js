// Benchmark of POST /bots/{botId}/call/{alias} against a bare express server, in the same run.
// Usage: npm run build && node bench/call-endpoint.js [seconds] [rounds]
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
// Each round measures both servers back to back; the summary gives the median and the spread.
// Besides requests/s, each server's CPU time per request is read from /proc: on a machine shared
// with other work it is the steadier figure, and its ratio is what the throughput ratio would be
// if each server had a core to itself. On PostgreSQL the server's processes' CPU per request is
// reported too (host-wide). BENCH_QUERY_STATS=1: the backend prints its statements per call on exit.
const autocannon = require('autocannon');
const os = require('node:os');
const { startChildServer } = require('./child-server');
const { throwawayPostgres } = require('./throwaway-postgres');
const { cpuMs, postgresCpu, postgresCpuMsSince } = require('./support/process-stats');

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 1);
const body = JSON.stringify({ script_request_params: { userId: 127, role: 'user', firstname: 'Alexander' } });
const onPostgres = Boolean(process.env.BENCH_POSTGRES_URL);

async function load(server, headers, extra = {}) {
  const cpuBefore = cpuMs(server.pid);
  const postgresBefore = onPostgres ? postgresCpu() : undefined;
  const result = await autocannon({
    url: server.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections: 50,
    duration: seconds,
    ...extra,
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    cpuUsPerRequest: Math.round((1000 * (cpuMs(server.pid) - cpuBefore)) / result.requests.total),
    // The PostgreSQL server's processes share the cores too: what they spent per request, host-wide.
    ...(onPostgres ? { postgresCpuUsPerRequest: Math.round((1000 * postgresCpuMsSince(postgresBefore)) / result.requests.total) } : {}),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function round(env) {
  // The reference runs on Node's defaults whatever the backend's flags (BENCH_NODE_ARGS).
  const bare = await startChildServer('bare-express', {}, { nodeArgs: [] });
  const baseline = await load(bare, {});
  await bare.stop();

  const backend = await startChildServer('backend', { BENCH_ENV: JSON.stringify(env) });
  const auth = { authorization: `Bearer ${backend.token}` };
  const call = await load(backend, auth);
  const paced = await load(backend, auth, { connections: 20, overallRate: 1000 });
  await backend.stop();
  return {
    bareExpress: baseline,
    callEndpoint: call,
    ratio: Number((call.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)),
    cpuRatio: Number((baseline.cpuUsPerRequest / call.cpuUsPerRequest).toFixed(2)),
    callAt1000rps: paced,
  };
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], min: sorted[0], max: sorted.at(-1) };
}

async function main() {
  const pg = process.env.BENCH_POSTGRES_URL ? await throwawayPostgres(process.env.BENCH_POSTGRES_URL) : undefined;
  const results = [];
  try {
    // BENCH_BACKEND_ENV: extra settings for the backend, e.g. '{"READ_CACHE_TTL_MS":"0"}' for the run without the read cache.
    const extra = JSON.parse(process.env.BENCH_BACKEND_ENV ?? '{}');
    for (let i = 0; i < rounds; i++) results.push(await round({ ...extra, ...(pg ? { DATABASE_URL: pg.url } : {}) }));
  } finally {
    await pg?.drop();
  }
  const report = {
    machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    date: new Date().toISOString().slice(0, 10),
    database: pg ? 'postgresql' : 'sqlite',
    backendEnv: process.env.BENCH_BACKEND_ENV ?? null,
    rounds: results,
    summary: {
      ratio: spread(results.map((r) => r.ratio)),
      cpuRatio: spread(results.map((r) => r.cpuRatio)),
      callRequestsPerSecond: spread(results.map((r) => r.callEndpoint.requestsPerSecond)),
      pacedP99ms: spread(results.map((r) => r.callAt1000rps.p99ms)),
      pacedRequestsPerSecond: spread(results.map((r) => r.callAt1000rps.requestsPerSecond)),
      ...(pg ? { postgresCpuUsPerCall: spread(results.map((r) => r.callEndpoint.postgresCpuUsPerRequest)) } : {}),
    },
  };
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
