// Benchmark of POST /bots/{botId}/call/{alias} against a bare express server, in the same run.
// Usage: npm run build && node bench/call-endpoint.js [seconds]
const autocannon = require('autocannon');
const os = require('node:os');
const { startChildServer } = require('./child-server');

const seconds = Number(process.argv[2] ?? 10);
const body = JSON.stringify({ script_request_params: { userId: 127, role: 'user', firstname: 'Alexander' } });

function load(url, headers, extra = {}) {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: 50, duration: seconds, ...extra });
}

function summary(result) {
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main() {
  const bare = await startChildServer('bare-express');
  const baseline = summary(await load(bare.url, {}));
  bare.stop();

  const backend = await startChildServer('backend');
  const auth = { authorization: `Bearer ${backend.token}` };
  const call = summary(await load(backend.url, auth));
  const paced = summary(await load(backend.url, auth, { connections: 20, overallRate: 1000 }));
  backend.stop();

  const report = {
    machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`,
    date: new Date().toISOString().slice(0, 10),
    bareExpress: baseline,
    callEndpoint: call,
    ratio: Number((call.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)),
    callAt1000rps: paced,
  };
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
