// Side by side (issue 10): one real n8n server, one Telegram stand-in with Telegram's limits on.
//   A:  Webhook → Code (one item per chat) → n8n's built-in Telegram node (credential Base URL = the stand-in)
//   A+: the same with the Telegram node's "Retry On Fail" (5 tries, 5 s apart), the obvious fix a user reaches for
//   B:  Webhook → Code (the list of user ids) → Call Communication (Message → Send) → the backend's delivery
// Each run has its own stand-in bot (its own record and flood windows) and the same chat ids.
// Writes docs/side-by-side.svg (delivered messages over time) and prints one JSON line per run.
// Usage: npm run build && node bench/side-by-side.js [recipients=1000] [largeRecipients=10000]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startChildServer } = require('./child-server');
const { loadStandin, requireTs } = require('./standin-loader');
const { writePlot } = require('./side-by-side-plot');

const recipients = Number(process.argv[2] ?? 1000);
const largeRecipients = Number(process.argv[3] ?? 10_000);
const FIRST_CHAT = 100_000; // the delivery bench backend links user u<chatId> to chat <chatId> from here
const ALLOWED_PER_SECOND = 30;

const webhook = (id, pathName) => ({
  id: `${id}-hook`,
  name: 'Start',
  type: 'n8n-nodes-base.webhook',
  typeVersion: 2,
  position: [0, 0],
  webhookId: `${pathName}-hook`,
  parameters: { httpMethod: 'POST', path: pathName, responseMode: 'lastNode', options: {} },
});

const code = (id, jsCode) => ({ id: `${id}-code`, name: 'Recipients', type: 'n8n-nodes-base.code', typeVersion: 2, position: [200, 0], parameters: { jsCode } });

function workflow(id, nodes) {
  const connections = {};
  nodes.slice(0, -1).forEach((node, i) => (connections[node.name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] }));
  return { id, name: id, active: true, settings: { executionOrder: 'v1' }, connections, nodes };
}

/** A and A+: one item per chat, then n8n's Telegram node sends one message per item. */
function telegramWorkflow(id, credentialId, retry) {
  return workflow(id, [
    webhook(id, id),
    code(id, `return Array.from({ length: $json.body.count }, (_, i) => ({ json: { chatId: ${FIRST_CHAT} + i } }));`),
    {
      id: `${id}-telegram`,
      name: 'Telegram',
      type: 'n8n-nodes-base.telegram',
      typeVersion: 1.2,
      position: [400, 0],
      credentials: { telegramApi: { id: credentialId, name: credentialId } },
      ...(retry ? { retryOnFail: true, maxTries: 5, waitBetweenTries: 5000 } : {}),
      parameters: { resource: 'message', operation: 'sendMessage', chatId: '={{ $json.chatId }}', text: '={{ $json.text ?? "Side by side" }}', additionalFields: { appendAttribution: false } },
    },
  ]);
}

/** B: the list of user ids in one item, then one Call Communication send; the backend paces delivery. */
function metabotWorkflow(id, credentialId) {
  return workflow(id, [
    webhook(id, id),
    code(id, `return [{ json: { userIds: Array.from({ length: $json.body.count }, (_, i) => 'u' + (${FIRST_CHAT} + i)) } }];`),
    {
      id: `${id}-send`,
      name: 'Call Communication',
      type: 'CUSTOM.callCommunication',
      typeVersion: 1,
      position: [400, 0],
      credentials: { metabotApi: { id: credentialId, name: credentialId } },
      parameters: { resource: 'message', operation: 'send', recipientType: 'userIds', recipients: '={{ $json.userIds }}', text: 'Side by side', options: {} },
    },
  ]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until the bot's record has `count` messages or has not grown for `quietMs`. */
async function settle(bot, count, quietMs) {
  let last = -1;
  let since = Date.now();
  while (bot.messages.length < count) {
    if (bot.requests.length !== last) [last, since] = [bot.requests.length, Date.now()];
    if (Date.now() - since > quietMs) return;
    await sleep(200);
  }
}

async function runOne(label, n8n, pathName, bot, count, quietMs) {
  const started = Date.now();
  const res = await fetch(n8n.webhookUrl(pathName), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count }) });
  const answer = (await res.text()).slice(0, 200);
  await settle(bot, count, quietMs);
  const perChat = new Map();
  for (const m of bot.messages) perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
  const times = bot.messages.map((m) => m.at);
  const wallSeconds = times.length ? (Math.max(...times) - started) / 1000 : 0;
  const result = {
    run: label,
    recipients: count,
    delivered: perChat.size,
    lostOrFailed: count - perChat.size,
    duplicates: [...perChat.values()].reduce((sum, n) => sum + n - 1, 0),
    seen429: bot.requests.filter((r) => r.code === 429).length,
    wallSeconds: +wallSeconds.toFixed(1),
    perSecond: +(bot.messages.length / wallSeconds || 0).toFixed(1),
    shareOfAllowed: `${(((bot.messages.length / wallSeconds || 0) / ALLOWED_PER_SECOND) * 100).toFixed(1)} %`,
    n8nAnswer: `${res.status} ${answer}`,
  };
  console.log(JSON.stringify(result));
  // The curve counts people reached: each chat at its first message (a duplicate reaches nobody new).
  const firstAt = new Map();
  for (const m of bot.messages) if (!firstAt.has(m.chatId)) firstAt.set(m.chatId, m.at);
  return { ...result, curve: [...firstAt.values()].map((at) => (at - started) / 1000).sort((a, b) => a - b) };
}

async function main() {
  const { TelegramStandin } = loadStandin();
  const { N8nInstance } = requireTs('../test/e2e/support/n8n-server.ts');
  const standin = await TelegramStandin.start();
  const bots = { a: standin.createBot(), retry: standin.createBot(), b: standin.createBot() };
  const backend = await startChildServer('delivery-backend', {
    BENCH_TELEGRAM_TOKEN: bots.b.token,
    BENCH_LEADS: String(Math.max(recipients, largeRecipients)),
    BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot }),
  });
  const instance = await N8nInstance.create();
  await instance.setup({
    credentials: [
      { id: 'sbsTelegramA0001', name: 'sbsTelegramA0001', type: 'telegramApi', data: { accessToken: bots.a.token, baseUrl: standin.apiRoot } },
      { id: 'sbsTelegramR0001', name: 'sbsTelegramR0001', type: 'telegramApi', data: { accessToken: bots.retry.token, baseUrl: standin.apiRoot } },
      { id: 'sbsMetabot000001', name: 'sbsMetabot000001', type: 'metabotApi', data: { serverUrl: `${backend.url}/api/v1`, botId: backend.botId, token: backend.token } },
    ],
    workflows: [telegramWorkflow('sbs-a', 'sbsTelegramA0001', false), telegramWorkflow('sbs-retry', 'sbsTelegramR0001', true), metabotWorkflow('sbs-b', 'sbsMetabot000001')],
  });
  const n8n = await instance.start();
  const runs = [];
  try {
    for (const hook of ['sbs-a', 'sbs-retry', 'sbs-b']) await n8n.waitForWebhook(hook);
    runs.push(await runOne('A: n8n Telegram node', n8n, 'sbs-a', bots.a, recipients, 10_000));
    runs.push(await runOne('A+: n8n Telegram node, Retry On Fail', n8n, 'sbs-retry', bots.retry, recipients, 15_000));
    runs.push(await runOne('B: Call Communication', n8n, 'sbs-b', bots.b, recipients, 15_000));
    if (largeRecipients > 0) {
      const [messagesBefore, requestsBefore] = [bots.b.messages.length, bots.b.requests.length];
      const later = { get messages() { return bots.b.messages.slice(messagesBefore); }, get requests() { return bots.b.requests.slice(requestsBefore); } };
      runs.push(await runOne(`B: Call Communication, ${largeRecipients.toLocaleString('en')} recipients`, n8n, 'sbs-b', later, largeRecipients, 15_000));
    }
  } finally {
    await n8n.stop();
    await backend.stop();
    await standin.close();
  }
  const title = `People reached over time; Telegram stand-in limits on (30/s); n8n ${process.env.N8N_VERSION ?? '2.40.7'}; ${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(0)}`;
  // The raw runs (with their curves) go to BENCH_OUT, so the chart can be redrawn: node bench/side-by-side-plot.js <file>.
  fs.writeFileSync(process.env.BENCH_OUT ?? path.join(os.tmpdir(), 'side-by-side.json'), JSON.stringify({ title, runs }));
  writePlot(runs, title);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
