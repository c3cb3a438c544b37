// The whole loop through a real n8n: a CRM calls an endpoint at rising rates, the Metabot Trigger
// starts a workflow that sends the person a message through Call Communication, and the Telegram
// stand-in records it. Baselines on the same n8n in the same run:
//   respond   Webhook → Respond to Webhook (n8n's own ceiling for a webhook-started execution);
//   telegram  Webhook → n8n's Telegram node (the same message, sent by n8n itself);
//   ours      CRM → backend /call/bench/loop → Metabot Trigger → Call Communication → backend → stand-in.
// Each rate is open-loop (calls leave on a fixed schedule, whatever the answers), for --seconds.
// Reported per rate and variant: calls, answered, people reached (from the stand-in's record),
// lost, achieved rate, p50/p99 from the CRM's call to the message at the stand-in (respond: to the
// answer), the CPU time per loop of n8n and of the backend (from /proc), and for ours where the
// time goes (median per stage, from the trace of sampled calls).
// The stand-in's flood limits are off and the backend's rate is lifted, so the loop is measured, not
// Telegram's 30 messages a second per bot (docs/scaling.md: that limit is the next order's wall).
//
// Per variant also: people whose messages arrived out of the CRM's call order (0 expected).
//
// Usage: npm run build && node bench/loop.js [--rates 10,20,40,80] [--seconds 10] [--people 1000] [--postgres URL]
//   --variants respond,telegram,ours   which to run (all by default; one alone to profile n8n beside it)
//   --quick   a smoke run of a minute or two: rates 5,10 for 4 s, SQLite only
//   --queue   n8n in queue mode (main + 1 worker, Redis, a throwaway PostgreSQL database for n8n) and
//             two backend processes on one PostgreSQL database (--postgres, default the local one);
//             the CRM's calls alternate between them; 20 people, so each gets several messages in order
// BENCH_N8N_ENV='{"N8N_EXPRESSION_ENGINE":"legacy"}' runs n8n with more settings (all variants alike).
// N8N_STARTUP_TIMEOUT_MS raises n8n's start-up timeout on a loaded machine.
const crypto = require('node:crypto');
const os = require('node:os');
const { parseArgs } = require('node:util');
const { startChildServer } = require('./child-server');
const { cpuMs } = require('./support/process-stats');
const { throwawayPostgres } = require('./throwaway-postgres');
const { loadStandin, requireTs } = require('./standin-loader');

const FIRST_CHAT = 100_000; // the delivery bench backend links user u<chatId> to chat <chatId> from here
const LOCAL_POSTGRES = 'postgres://root@127.0.0.1:5432/postgres';
const DRAIN_MS = 30_000;
const TRACE_SAMPLE = 40;
const VARIANTS = ['respond', 'telegram', 'ours'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const progress = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rates: { type: 'string' },
      seconds: { type: 'string' },
      people: { type: 'string' },
      postgres: { type: 'string' },
      quick: { type: 'boolean', default: false },
      queue: { type: 'boolean', default: false },
      variants: { type: 'string' },
    },
  });
  const quick = values.quick;
  return {
    rates: (values.rates ?? (quick ? '5,10' : '10,20,40,80')).split(',').map(Number),
    seconds: Number(values.seconds ?? (quick ? 4 : 10)),
    people: Number(values.people ?? (values.queue ? 20 : 1000)),
    postgres: values.postgres ?? (values.queue ? LOCAL_POSTGRES : undefined),
    queue: values.queue,
    variants: values.variants ? values.variants.split(',') : VARIANTS,
  };
}

function percentiles(values) {
  if (values.length === 0) return { p50: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
  return { p50: at(50), p99: at(99) };
}

const median = (values) => percentiles(values).p50;

// ---- the workflows ------------------------------------------------------------------------------

const main = (targets) => ({ main: targets.map((list) => list.map((name) => ({ node: name, type: 'main', index: 0 }))) });
const workflow = (id, nodes, connections) => ({ id, name: id, active: true, settings: { executionOrder: 'v1' }, connections, nodes });
const hook = (id, responseMode) => ({ id: `${id}-hook`, name: 'CRM calls', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: `${id}-hook`, parameters: { httpMethod: 'POST', path: id, responseMode, options: {} } });

function respondWorkflow() {
  const respond = { id: 'loop-respond-answer', name: 'Answer', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1.1, position: [200, 0], parameters: { respondWith: 'json', responseBody: '={{ JSON.stringify({ success: true }) }}', options: {} } };
  return workflow('loop-respond', [hook('loop-respond', 'responseNode'), respond], { 'CRM calls': main([['Answer']]) });
}

function telegramWorkflow(credentialId) {
  const send = {
    id: 'loop-telegram-send',
    name: 'Telegram',
    type: 'n8n-nodes-base.telegram',
    typeVersion: 1.2,
    position: [200, 0],
    credentials: { telegramApi: { id: credentialId, name: credentialId } },
    parameters: { resource: 'message', operation: 'sendMessage', chatId: '={{ $json.body.chatId }}', text: '={{ $json.body.text }}', additionalFields: { appendAttribution: false } },
  };
  return workflow('loop-telegram', [hook('loop-telegram', 'onReceived'), send], { 'CRM calls': main([['Telegram']]) });
}

function oursWorkflow(credentialId) {
  const credentials = { metabotApi: { id: credentialId, name: credentialId } };
  const trigger = { id: 'loop-ours-trigger', name: 'CRM calls', type: 'n8n-nodes-metabot.metabotTrigger', typeVersion: 2, position: [0, 0], webhookId: 'loop-ours-trigger', credentials, parameters: { events: ['endpoint.called'], aliases: ['bench/loop'] } };
  const send = {
    id: 'loop-ours-send',
    name: 'Tell the person',
    type: 'n8n-nodes-metabot.callCommunication',
    typeVersion: 1,
    position: [200, 0],
    credentials,
    parameters: { resource: 'message', operation: 'send', recipientType: 'userIds', recipients: '={{ $json.params.userId }}', text: '={{ $json.params.text }}', options: {} },
  };
  return workflow('loop-ours', [trigger, send], { 'CRM calls': main([['Tell the person']]) });
}

// ---- the stack ------------------------------------------------------------------------------------

/** The backend processes: the first seeds the database; in queue mode a second one shares it. */
async function startBackends(options, standin, bots, freePort) {
  const start = async () =>
    startChildServer('delivery-backend', {
      BENCH_TELEGRAM_TOKEN: bots.ours.token,
      BENCH_LEADS: String(options.people),
      ...(options.databaseUrl ? { BENCH_DATABASE_URL: options.databaseUrl } : {}),
      BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, PORT: String(await freePort()), DELIVERY_RATE_PER_SECOND: '100000', DELIVERY_CHAT_SPACING_MS: '0', DELIVERY_POLL_MS: '20', WEBHOOK_ALLOW_PRIVATE: 'true' }),
    });
  const first = await start();
  if (!options.queue) return [first];
  const second = await start();
  return [first, { ...second, token: first.token }];
}

/** More environment for n8n from BENCH_N8N_ENV (a JSON object), to try one of its settings on all variants alike. */
const n8nExtraEnv = () => JSON.parse(process.env.BENCH_N8N_ENV ?? '{}');

/** n8n: one process on SQLite, or in queue mode main + one worker on Redis and a PostgreSQL database of its own. */
async function startN8nStack(options, setup) {
  const { N8nInstance } = requireTs('../test/e2e/support/n8n-server.ts');
  if (!options.queue) {
    const instance = await N8nInstance.create(n8nExtraEnv());
    await instance.setup(setup);
    const main = await instance.start();
    return { main, pids: [main.pid], stop: async () => {} };
  }
  const { queueModeEnv, removeQueueKeys } = requireTs('../test/e2e/support/queue-mode.ts');
  const database = await throwawayPostgres(options.postgres);
  const prefix = `metabot-bench-loop-${crypto.randomBytes(4).toString('hex')}`;
  const instance = await N8nInstance.create({ ...queueModeEnv(database.url, prefix), ...n8nExtraEnv() });
  await instance.setup(setup);
  const started = {};
  const stop = async () => {
    await started.worker?.stop();
    await started.main?.stop();
    await database.drop();
    await removeQueueKeys(prefix);
  };
  try {
    await Promise.all([instance.start().then((main) => (started.main = main)), instance.startWorker().then((worker) => (started.worker = worker))]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { main: started.main, pids: [started.main.pid, started.worker.process.pid], stop };
}

async function setUp(options) {
  const { TelegramStandin } = loadStandin();
  const { freePort } = requireTs('../test/e2e/support/n8n-server.ts');
  const standin = await TelegramStandin.start({ limits: { enabled: false } });
  const bots = { telegram: standin.createBot(), ours: standin.createBot() };
  const backends = await startBackends(options, standin, bots, freePort);
  const [backend] = backends;
  const api = async (method, apiPath, body) => {
    const answer = await fetch(`${backend.url}/api/v1/bots/${backend.botId}${apiPath}`, { method, headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: answer.status, body: await answer.json() };
  };
  const map = await api('POST', '/maps', { document: { name: 'Bench loop', endpoints: [{ alias: 'bench/loop', purpose: 'The CRM tells a person something', owner: 'bench' }] } });
  if (map.status !== 201) throw new Error(`map import: ${JSON.stringify(map.body)}`);
  const credentials = [
    { id: 'loopTelegram0001', name: 'loopTelegram0001', type: 'telegramApi', data: { accessToken: bots.telegram.token, baseUrl: standin.apiRoot } },
    { id: 'loopMetabot00001', name: 'loopMetabot00001', type: 'metabotApi', data: { serverUrl: `${backend.url}/api/v1`, botId: backend.botId, token: backend.token } },
  ];
  progress(options.queue ? 'starting n8n in queue mode (main + worker)' : 'starting n8n');
  const stack = await startN8nStack(options, { credentials, workflows: [respondWorkflow(), telegramWorkflow('loopTelegram0001'), oursWorkflow('loopMetabot00001')] });
  const n8n = stack.main;
  progress('n8n started; waiting for the webhooks and the trigger');
  for (const id of ['loop-respond', 'loop-telegram']) await n8n.waitForWebhook(id);
  for (let i = 0; (await api('GET', '/subscriptions')).body.subscriptions.length === 0; i += 1) {
    if (i > 600) throw new Error('the Metabot Trigger did not subscribe');
    await sleep(100);
  }
  return { standin, bots, backend, backends, people: options.people, n8n, stack, api, runs: 0 };
}

async function tearDown(ctx) {
  await ctx.n8n?.stop();
  await ctx.stack?.stop();
  for (const backend of ctx.backends ?? []) await backend.stop();
  await ctx.standin?.close();
}

// ---- one rate of one variant --------------------------------------------------------------------

function requestOf(ctx, variant, i, text) {
  const chatId = FIRST_CHAT + (i % ctx.people);
  if (variant === 'ours') {
    const backend = ctx.backends[i % ctx.backends.length];
    return { url: `${backend.url}/api/v1/bots/${backend.botId}/call/bench/loop`, headers: { authorization: `Bearer ${backend.token}` }, body: { script_request_params: { userId: `u${chatId}`, text } } };
  }
  return { url: ctx.n8n.webhookUrl(`loop-${variant}`), headers: {}, body: { chatId, text } };
}

async function call(request) {
  const answer = await fetch(request.url, { method: 'POST', headers: { 'content-type': 'application/json', ...request.headers }, body: JSON.stringify(request.body) });
  const body = await answer.json().catch(() => ({}));
  return { ok: answer.ok, traceId: body.trace_id };
}

/**
 * Where ours spends the time, from the trace of sampled calls: the CRM's call stored → n8n accepted
 * the event's delivery (`workflow.delivered`: the fan-out, the claim, the POST to the trigger's
 * webhook and n8n's 200), → the message accepted from the workflow (the execution, on a worker in
 * queue mode, and Call Communication's request; the trigger answers before the workflow runs), and
 * accepted → sent (the delivery worker and the stand-in).
 */
async function stagesOf(ctx, traceIds) {
  const stages = { toN8n: [], execution: [], throughN8n: [], delivery: [] };
  for (const traceId of traceIds.slice(0, TRACE_SAMPLE)) {
    const hops = (await ctx.api('GET', `/traces/${traceId}`)).body.hops ?? [];
    const at = (name) => hops.find((h) => h.hop === name)?.timestamp;
    const [called, delivered, queued, sent] = ['endpoint.called', 'workflow.delivered', 'message.queued', 'message.sent'].map(at);
    if ([called, queued, sent].some((t) => t === undefined)) continue;
    stages.throughN8n.push(queued - called);
    stages.delivery.push(sent - queued);
    if (delivered === undefined) continue;
    stages.toN8n.push(delivered - called);
    stages.execution.push(queued - delivered);
  }
  return {
    callToAcceptedMs: median(stages.throughN8n),
    callToN8nAcceptedMs: median(stages.toN8n),
    n8nAcceptedToMessageAcceptedMs: median(stages.execution),
    acceptedToSentMs: median(stages.delivery),
    sampled: stages.throughN8n.length,
  };
}

async function runRate(ctx, variant, rate, seconds) {
  const total = Math.round(rate * seconds);
  progress(`${variant} at ${rate}/s for ${seconds} s`);
  ctx.runs += 1; // every run its own texts: the stand-in's record is matched by text
  const tag = `loop ${variant} ${rate}/s run ${ctx.runs}`;
  const bot = variant === 'telegram' ? ctx.bots.telegram : ctx.bots.ours;
  const calledAt = new Map();
  const answeredAfter = [];
  const traceIds = [];
  let answered = 0;
  const startedAt = Date.now();
  const calls = [];
  const cpuBefore = cpuOf(ctx);
  for (let i = 0; i < total; i += 1) {
    const due = startedAt + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const text = `${tag} #${i}`;
    calledAt.set(text, Date.now());
    const started = performance.now();
    calls.push(
      call(requestOf(ctx, variant, i, text))
        .then((answer) => {
          if (!answer.ok) return;
          answered += 1;
          answeredAfter.push(performance.now() - started);
          if (answer.traceId) traceIds.push(answer.traceId);
        })
        .catch(() => undefined),
    );
  }
  const offeredFor = (Date.now() - startedAt) / 1000;
  await Promise.all(calls);
  const reachedAt = new Map();
  const collect = () => {
    for (const m of bot.messages) if (calledAt.has(m.text) && !reachedAt.has(m.text)) reachedAt.set(m.text, m.at);
  };
  const callNumber = (text) => Number(text.slice(text.lastIndexOf('#') + 1));
  if (variant !== 'respond') {
    const deadline = Date.now() + DRAIN_MS;
    for (collect(); reachedAt.size < total && Date.now() < deadline; collect()) await sleep(200);
  }
  const cpu = cpuOf(ctx);
  const latencies = variant === 'respond' ? answeredAfter : [...reachedAt].map(([text, at]) => at - calledAt.get(text));
  const lastAt = variant === 'respond' ? Date.now() : Math.max(startedAt, ...reachedAt.values());
  const done = variant === 'respond' ? answered : reachedAt.size;
  const result = {
    variant,
    offeredPerSecond: rate,
    offeredForSeconds: +offeredFor.toFixed(1),
    calls: total,
    answered,
    ...(variant === 'respond' ? {} : { reached: reachedAt.size, lost: total - reachedAt.size, outOfOrderPeople: outOfOrder(bot.messages.filter((m) => calledAt.has(m.text)), callNumber) }),
    achievedPerSecond: +(done / ((lastAt - startedAt) / 1000)).toFixed(1),
    latencyMs: percentiles(latencies),
    cpuMsPerLoop: { n8n: perLoop(cpu.n8n - cpuBefore.n8n, done), backend: perLoop(cpu.backend - cpuBefore.backend, done) },
    ...(variant === 'ours' ? { stages: await stagesOf(ctx, traceIds) } : {}),
  };
  console.log(JSON.stringify(result));
  return result;
}

/**
 * CPU time so far of n8n's processes (main, and the worker in queue mode) and of the backends, in ms.
 * Per loop it is steadier than the rate on a shared machine, and it says which process does the work.
 */
function cpuOf(ctx) {
  const sum = (pids) => pids.reduce((total, pid) => total + cpuMs(pid), 0);
  return { n8n: sum(ctx.stack.pids), backend: sum(ctx.backends.map((b) => b.pid)) };
}

const perLoop = (ms, loops) => (loops > 0 ? +(ms / loops).toFixed(1) : null);

/** People whose messages the stand-in recorded in another order than the CRM's calls for them. */
function outOfOrder(messages, callNumber) {
  const lastCall = new Map();
  const late = new Set();
  for (const m of messages) {
    const n = callNumber(m.text);
    if ((lastCall.get(m.chatId) ?? -1) > n) late.add(m.chatId);
    lastCall.set(m.chatId, Math.max(n, lastCall.get(m.chatId) ?? -1));
  }
  return late.size;
}

/** The highest offered rate a variant lost nothing at. */
function highestWithoutLoss(results, variant) {
  const kept = results.filter((r) => r.variant === variant && (r.lost ?? r.calls - r.answered) === 0);
  return kept.length ? Math.max(...kept.map((r) => r.offeredPerSecond)) : 0;
}

/** The highest offered rate a variant kept up with: nothing lost, and at least 95 % of the offered rate. */
function sustained(results, variant) {
  const kept = results.filter((r) => r.variant === variant && (r.lost ?? r.calls - r.answered) === 0 && r.achievedPerSecond >= 0.95 * r.offeredPerSecond);
  return kept.length ? Math.max(...kept.map((r) => r.offeredPerSecond)) : 0;
}

async function measure(options, databaseUrl) {
  const ctx = await setUp({ ...options, databaseUrl });
  try {
    for (const variant of options.variants) await runRate(ctx, variant, options.rates[0], 2); // warm-up
    const results = [];
    for (const rate of options.rates) {
      for (const variant of options.variants) {
        results.push(await runRate(ctx, variant, rate, options.seconds));
        await sleep(2000);
      }
    }
    const best = Object.fromEntries(options.variants.map((v) => [v, sustained(results, v)]));
    const noLoss = Object.fromEntries(options.variants.map((v) => [v, highestWithoutLoss(results, v)]));
    const setup = options.queue ? 'n8n queue mode (main + 1 worker), 2 backend processes' : 'n8n single process, 1 backend process';
    return { database: databaseUrl ? 'postgresql' : 'sqlite', setup, people: options.people, sustainedPerSecond: best, highestRateWithoutLoss: noLoss, oursToRespond: best.respond && best.ours !== undefined ? +(best.ours / best.respond).toFixed(2) : null, results };
  } finally {
    await tearDown(ctx);
  }
}

async function mainRun() {
  const options = readOptions(process.argv.slice(2));
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const runs = options.queue ? [] : [await measure(options)];
  if (options.postgres) {
    const database = await throwawayPostgres(options.postgres);
    try {
      runs.push(await measure(options, database.url));
    } finally {
      await database.drop();
    }
  }
  const report = { machine: `${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}`, date: new Date().toISOString().slice(0, 10), loadBefore: load, loadAfter: os.loadavg().map((l) => l.toFixed(1)).join(' '), rates: options.rates, seconds: options.seconds, queue: options.queue, runs };
  console.log(JSON.stringify(report, null, 2));
}

mainRun().catch((error) => {
  console.error(error);
  process.exit(1);
});
