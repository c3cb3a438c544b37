// Web chat push latency: a visitor's message is written by process A; its stream is held by A itself
// (baseline: the write nudges A's hub at once) or by process B on the same database (B finds it with
// its 500 ms poll of the history table). Latency = POST sent → the row arrives on the visitor's stream.
// Usage: npm run build && node bench/webchat-push.js [seconds=10] [visitors=20] [postgres://…/postgres]
const crypto = require('node:crypto');
const { startChildServer } = require('./child-server');
const { throwawayPostgres } = require('./throwaway-postgres');

const seconds = Number(process.argv[2] ?? 10);
const visitorCount = Number(process.argv[3] ?? 20);
const postgresUrl = process.argv[4];

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) };
}

/** Reads one SSE stream; calls onMessage(message, receivedAt) for each `message` event. */
async function listen(url, token, onMessage) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const decoder = new TextDecoder();
  let buffer = '';
  (async () => {
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event);
          if (/^event: message$/m.test(event) && data) onMessage(JSON.parse(data[1]), performance.now());
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  return () => controller.abort();
}

async function run(env) {
  const a = await startChildServer('webchat-backend', { BENCH_ENV: JSON.stringify(env), CREATE_BOT: '1' });
  const b = await startChildServer('webchat-backend', { BENCH_ENV: JSON.stringify({ ...env, DATA_DIR: a.dataDir }) });
  const latencies = { same: [], other: [] };
  const sentAt = new Map();
  const stops = [];
  const visitors = [];
  try {
    for (let i = 0; i < visitorCount; i += 1) {
      const { token } = await (await fetch(`${a.url}/chat/${a.botId}/api/visitors`, { method: 'POST' })).json();
      const where = i % 2 === 0 ? 'same' : 'other';
      const holder = where === 'same' ? a : b;
      stops.push(await listen(`${holder.url}/chat/${a.botId}/api/events`, token, (message, at) => {
        const started = sentAt.get(message.text);
        if (started !== undefined) latencies[where].push(at - started);
      }));
      visitors.push({ token, where });
    }
    const deadline = performance.now() + seconds * 1000;
    // Each visitor writes about once a second, spread evenly.
    const tick = 1000 / visitorCount;
    for (let n = 0; performance.now() < deadline; n += 1) {
      const visitor = visitors[n % visitors.length];
      const text = `m${n}`;
      sentAt.set(text, performance.now());
      void fetch(`${a.url}/chat/${a.botId}/api/updates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${visitor.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: crypto.randomUUID(), kind: 'text', text }),
      }).catch(() => sentAt.delete(text));
      await new Promise((resolve) => setTimeout(resolve, tick));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return { same: summarize(latencies.same), other: summarize(latencies.other), sent: sentAt.size };
  } finally {
    stops.forEach((stop) => stop());
    a.stop();
    b.stop();
  }
}

async function main() {
  const sqlite = await run({});
  console.log(JSON.stringify({ database: 'sqlite', ...sqlite }));
  if (postgresUrl) {
    const pg = await throwawayPostgres(postgresUrl);
    try {
      console.log(JSON.stringify({ database: 'postgresql', ...(await run({ DATABASE_URL: pg.url })) }));
    } finally {
      await pg.drop();
    }
  }
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
