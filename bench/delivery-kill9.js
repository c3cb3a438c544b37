// Drill (issue 3): kill -9 the backend in the middle of a fan-out, restart it on the same SQLite
// file, and count from the stand-in's record how many recipients got the message 0, 1 or 2+ times.
// Usage: npm run build -w backend && node bench/delivery-kill9.js [recipients] [ratePerSecond] [killAfter]
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { loadStandin } = require('./standin-loader');

const recipients = Number(process.argv[2] ?? 5000);
const rate = Number(process.argv[3] ?? 250);
const killAfter = Number(process.argv[4] ?? Math.floor(recipients * 0.4));

function startBackend(env) {
  const child = spawn(process.execPath, [path.join(__dirname, 'servers', 'delivery-backend.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => resolve({ ...JSON.parse(line), child }));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const { TelegramStandin } = loadStandin();
  const standin = await TelegramStandin.start({ limits: { enabled: false } });
  const telegram = standin.createBot();
  const env = {
    BENCH_TELEGRAM_TOKEN: telegram.token,
    BENCH_LEADS: String(recipients),
    BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, DELIVERY_RATE_PER_SECOND: String(rate), DELIVERY_LEASE_MS: '3000', DELIVERY_POLL_MS: '50' }),
  };
  const first = await startBackend(env);
  const userIds = Array.from({ length: recipients }, (_, i) => `u${100_000 + i}`);
  const res = await fetch(`${first.url}/api/v1/bots/${first.botId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userIds, text: 'Drill {{ lead.firstName }}' }),
  });
  const { messageId } = await res.json();
  while (telegram.messages.length < killAfter) await sleep(5);
  first.child.kill('SIGKILL');
  const atKill = telegram.messages.length;
  await sleep(200);
  const second = await startBackend({ ...env, BENCH_DATA_DIR: first.dataDir });
  const deadline = Date.now() + recipients * (1000 / rate) + 60_000;
  while (new Set(telegram.messages.map((m) => m.chatId)).size < recipients && Date.now() < deadline) await sleep(100);
  await sleep(1000);
  const status = await (await fetch(`${second.url}/api/v1/bots/${second.botId}/messages/${messageId}?limit=0`, { headers: { authorization: `Bearer ${first.token}` } })).json();
  second.child.kill('SIGTERM');
  const perChat = new Map();
  for (const m of telegram.messages) perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
  console.log(JSON.stringify({
    recipients,
    rate,
    sentBeforeKill: atKill,
    delivered: perChat.size,
    lost: recipients - perChat.size,
    duplicates: [...perChat.values()].filter((n) => n > 1).length,
    counts: status.message?.counts,
  }));
  await standin.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
