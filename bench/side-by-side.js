// Side by side: n8n's own Telegram node, built the naive way and the careful ways, against Call
// Communication, on one real n8n server and one Telegram stand-in that enforces Telegram's limits
// (30/s per bot, ~1/s per chat with short bursts, 20/min per group; test/telegram-standin/limits.ts).
// Variants (bench/side-by-side-workflows.js): A1 naive Telegram node, A2 Loop Over Items (30) →
// Telegram → Wait 1 s, A3 = A2 + Retry On Fail, ours = Call Communication → the backend.
// Scenarios, each for every variant, in one run:
//   broadcast  one text to N private chats;
//   restart    the same broadcast; n8n (for ours also the backend) is killed with SIGKILL half-way
//              (when the stand-in accepts the message that is half of what the variant reaches
//              without a crash) and started again; then what a user can do to finish; also for
//              A3+ (A3 with the workflow setting "Save execution progress" on);
//   perchat    every entry its own message: private chats once, private chats 5 times, group
//              chats 30 times each, in a shuffled order (a stream of notifications).
// Each variant has its own stand-in bot (its own record and flood windows); "reached" comes from
// the stand-in's record, never from what a sender believes it sent.
//
// Usage: npm run build && node bench/side-by-side.js [options]
//   --recipients N     broadcast size (default 1000)
//   --scenarios LIST   broadcast,perchat,restart (default all, in this order; restart kills at half
//                      of what broadcast reached, or at half the recipients without it)
//   --variants LIST    A1,A2,A3,ours (default all)
//   --quick            smoke mode: 60 recipients, a 60-entry per-chat list; the chart goes next to the JSON
//   --out FILE         the JSON of every run (default $TMPDIR/side-by-side.json); the chart is drawn
//                      from it by bench/side-by-side-plot.js (docs/side-by-side.svg unless --quick)
// N8N_STARTUP_TIMEOUT_MS raises n8n's start-up timeout on a loaded machine (default 120 s).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const Database = require('better-sqlite3');
const { startChildServer } = require('./child-server');
const { loadStandin, requireTs } = require('./standin-loader');
const { ALL_VARIANTS, LABELS, variantWorkflow } = require('./side-by-side-workflows');
const { writePlot } = require('./side-by-side-plot');

const FIRST_CHAT = 100_000; // the delivery bench backend links user u<chatId> to chat <chatId> from here
const FIRST_GROUP_CHAT = -1_001_000_000_000; // and user g<i> to group chat FIRST_GROUP_CHAT - i
const ALLOWED_PER_SECOND = 30;
const WINDOWS_CLEAR_MS = 3_500; // the stand-in's per-bot (1 s) and per-chat (3 s) windows empty in this time
const OBSERVE_AFTER_RESTART_MS = 15_000;
const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      recipients: { type: 'string' },
      scenarios: { type: 'string', default: 'broadcast,perchat,restart' },
      variants: { type: 'string', default: ALL_VARIANTS.join(',') },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(os.tmpdir(), 'side-by-side.json') },
    },
  });
  const variants = values.variants.split(',');
  const unknown = variants.filter((v) => !ALL_VARIANTS.includes(v));
  if (unknown.length) throw new Error(`unknown variants: ${unknown.join(', ')} (known: ${ALL_VARIANTS.join(', ')})`);
  const scenarios = values.scenarios.split(',');
  const mix = values.quick ? { once: 20, repeated: 4, repeats: 4, groups: 1, groupRepeats: 24 } : { once: 200, repeated: 20, repeats: 5, groups: 4, groupRepeats: 30 };
  return { recipients: Number(values.recipients ?? (values.quick ? 60 : 1000)), scenarios, variants, quick: values.quick, out: values.out, mix };
}

// ---- the lists --------------------------------------------------------------------------------

const privateEntry = (i, text) => ({ chatId: FIRST_CHAT + i, userId: `u${FIRST_CHAT + i}`, text });
const groupEntry = (i, text) => ({ chatId: FIRST_GROUP_CHAT - i, userId: `g${i}`, text });

const broadcastEntries = (count) => Array.from({ length: count }, (_, i) => privateEntry(i, 'Side by side'));

/** A fixed-seed shuffle (mulberry32), so every run and every variant gets the same order. */
function shuffled(list, seed = 20_261_202) {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Every entry its own message (its own text): private chats once, some five times, groups thirty times. */
function perChatEntries({ once, repeated, repeats, groups, groupRepeats }) {
  const entries = [];
  for (let i = 0; i < once; i += 1) entries.push(privateEntry(i, `Notice ${entries.length + 1}`));
  for (let i = 0; i < repeated; i += 1) for (let k = 0; k < repeats; k += 1) entries.push(privateEntry(once + i, `Notice ${entries.length + 1}`));
  for (let g = 0; g < groups; g += 1) for (let k = 0; k < groupRepeats; k += 1) entries.push(groupEntry(g, `Notice ${entries.length + 1}`));
  return shuffled(entries);
}

// ---- counting (from the stand-in's record) ------------------------------------------------------

/** The bot's record from now on. */
function since(bot) {
  const [messages, requests] = [bot.messages.length, bot.requests.length];
  return { get messages() { return bot.messages.slice(messages); }, get requests() { return bot.requests.slice(requests); } };
}

const keyOf = (chatId, text) => `${chatId}\u0000${text}`;

/** How often each entry arrived: once, twice, never; people are distinct chats. */
function tally(entries, messages) {
  const copies = new Map(entries.map((e) => [keyOf(e.chatId, e.text), 0]));
  for (const m of messages) {
    const key = keyOf(m.chatId, m.text);
    if (copies.has(key)) copies.set(key, copies.get(key) + 1);
  }
  const counts = [...copies.values()];
  const reachedChats = new Set(entries.filter((e) => copies.get(keyOf(e.chatId, e.text)) > 0).map((e) => e.chatId));
  const groupEntries = entries.filter((e) => e.chatId < 0);
  return {
    entries: entries.length,
    people: new Set(entries.map((e) => e.chatId)).size,
    peopleReached: reachedChats.size,
    delivered: counts.filter((n) => n > 0).length,
    lost: counts.filter((n) => n === 0).length,
    once: counts.filter((n) => n === 1).length,
    twice: counts.filter((n) => n === 2).length,
    moreThanTwice: counts.filter((n) => n > 2).length,
    duplicates: counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    ...(groupEntries.length ? { groupEntries: groupEntries.length, groupDelivered: groupEntries.filter((e) => copies.get(keyOf(e.chatId, e.text)) > 0).length } : {}),
  };
}

function rates(view, startedAt) {
  const messages = view.messages;
  const last = messages.length ? Math.max(...messages.map((m) => m.at)) : startedAt;
  const wallSeconds = (last - startedAt) / 1000;
  const perSecond = wallSeconds > 0 ? messages.length / wallSeconds : 0;
  return {
    seen429: view.requests.filter((r) => r.code === 429).length,
    wallSeconds: +wallSeconds.toFixed(1),
    perSecond: +perSecond.toFixed(1),
    shareOfAllowed: +((perSecond / ALLOWED_PER_SECOND) * 100).toFixed(1),
  };
}

/** People reached over time: each chat at its first message (a duplicate reaches nobody new). */
function curveOf(view, startedAt) {
  const firstAt = new Map();
  for (const m of view.messages) if (!firstAt.has(m.chatId)) firstAt.set(m.chatId, m.at);
  return [...firstAt.values()].map((at) => +((at - startedAt) / 1000).toFixed(3)).sort((a, b) => a - b);
}

// ---- n8n: executions through its REST API -------------------------------------------------------

const workflowIdOf = (variant, each) => variantWorkflow(variant, 'x', { each }).id;
/** A3+ is A3's workflow with one setting more; it sends with A3's bot. */
const botOf = (ctx, variant) => ctx.bots[variant === 'A3+' ? 'A3' : variant];
const restartVariants = (variants) => variants.flatMap((v) => (v === 'A3' ? ['A3', 'A3+'] : [v]));

async function executionsOf(n8n, workflowId) {
  const filter = encodeURIComponent(JSON.stringify({ workflowId }));
  const answer = await n8n.owner.rest('GET', `/executions?filter=${filter}&limit=20`);
  const results = answer?.data?.results ?? answer?.results ?? [];
  return results.map((e) => ({ id: Number(e.id), status: e.status })).sort((a, b) => a.id - b.id);
}

const lastExecutionId = async (n8n, workflowId) => (await executionsOf(n8n, workflowId)).at(-1)?.id ?? 0;

/** Waits for the first execution after `afterId` to finish (or `stop()` to say so) and returns it. */
async function waitForExecution(ctx, workflowId, afterId, { stop = () => false, timeoutMs = 20 * 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stop()) return undefined;
    const execution = (await executionsOf(ctx.n8n, workflowId).catch(() => [])).find((e) => e.id > afterId);
    if (execution && FINISHED.has(execution.status)) return execution;
    await sleep(500);
  }
  throw new Error(`execution of ${workflowId} after ${afterId} did not finish in ${timeoutMs / 1000} s`);
}

async function post(url, body) {
  const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${url} answered ${answer.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

// ---- ours: the backend's status API -------------------------------------------------------------

/**
 * The backend's messages accepted since `since` (ms), read from its SQLite file: with one call per
 * item, n8n's webhook answer listed fewer message ids than the backend had accepted (a quick run
 * stopped waiting too early), and the backend has no list API.
 */
function messageIdsSince(ctx, since) {
  const db = new Database(path.join(ctx.backend.dataDir, 'metabot.sqlite'), { readonly: true });
  try {
    return db.prepare('select id from messages where bot_id = ? and created_at >= ? order by created_at').all(ctx.backend.botId, since).map((row) => row.id);
  } finally {
    db.close();
  }
}

async function messageStatus(ctx, messageId, limit) {
  const answer = await fetch(`${ctx.backend.url}/api/v1/bots/${ctx.backend.botId}/messages/${messageId}?limit=${limit}`, { headers: { authorization: `Bearer ${ctx.backendToken}` } });
  if (!answer.ok) throw new Error(`status of ${messageId}: ${answer.status}`);
  return (await answer.json()).message;
}

/** Waits until every message is done (nobody queued or deferred); a backend that is down is waited for. */
async function waitForMessages(ctx, messageIds, timeoutMs = 30 * 60_000) {
  const pending = new Set(messageIds);
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} messages not done in ${timeoutMs / 1000} s`);
    for (const id of [...pending]) {
      const status = await messageStatus(ctx, id, 0).catch(() => undefined);
      if (status?.status === 'done') pending.delete(id);
    }
    if (pending.size > 0) await sleep(1000);
  }
}

async function possibleDuplicates(ctx, messageIds) {
  let reported = 0;
  for (const id of messageIds) reported += (await messageStatus(ctx, id, 100_000)).recipients.filter((r) => r.possibleDuplicate).length;
  return reported;
}

// ---- one run of a variant ---------------------------------------------------------------------

/** Sends the entries through the variant's workflow and waits until the variant is done with them. */
async function send(ctx, variant, entries, { each = false, stop } = {}) {
  const workflowId = workflowIdOf(variant, each);
  if (variant === 'ours') {
    const since = Date.now();
    // The webhook answers after the last Call Communication call: every message is accepted by then.
    await post(ctx.n8n.webhookUrl(workflowId), { entries });
    const messageIds = messageIdsSince(ctx, since);
    return { messageIds, done: () => waitForMessages(ctx, messageIds) };
  }
  const before = await lastExecutionId(ctx.n8n, workflowId);
  await post(ctx.n8n.webhookUrl(workflowId), { entries });
  return { done: () => waitForExecution(ctx, workflowId, before, { stop }) };
}

async function run(ctx, scenario, variant, entries, { each = false } = {}) {
  const view = since(botOf(ctx, variant));
  const startedAt = Date.now();
  const sent = await send(ctx, variant, entries, { each });
  const execution = await sent.done();
  await sleep(500); // answers already on the wire
  const result = {
    scenario,
    variant,
    label: LABELS[variant],
    ...tally(entries, view.messages),
    ...rates(view, startedAt),
    ...(execution ? { n8nExecution: execution.status } : {}),
    ...(sent.messageIds ? { possibleDuplicates: await possibleDuplicates(ctx, sent.messageIds) } : {}),
  };
  console.log(JSON.stringify(result));
  return { ...result, ...(scenario === 'broadcast' ? { curve: curveOf(view, startedAt) } : {}) };
}

// ---- the restart --------------------------------------------------------------------------------

async function restartN8n(ctx) {
  ctx.n8n = await ctx.instance.start();
  for (const id of ctx.workflowIds) await ctx.n8n.waitForWebhook(id);
}

/** What n8n shows and does with the execution the kill cut short, and what its Retry does. */
async function afterN8nCrash(ctx, workflowId, before, view, entries) {
  const crashed = (await executionsOf(ctx.n8n, workflowId)).find((e) => e.id > before);
  // What n8n says about the crash as it starts (its crash journal and its event-log recovery).
  const n8nLog = ctx.n8n.logs().split('\n').filter((line) => /crashed|unfinished execution/i.test(line)).map((line) => line.trim().slice(0, 160));
  const observed = { crashedExecution: crashed ? { id: crashed.id, status: crashed.status } : 'not listed', n8nLog };
  if (!crashed) return observed;
  try {
    await ctx.n8n.owner.rest('POST', `/executions/${crashed.id}/retry`, { loadWorkflow: false });
    const retried = await waitForExecution(ctx, workflowId, crashed.id);
    await sleep(500);
    return { ...observed, retry: `started execution ${retried.id} (${retried.status})`, afterRetry: tally(entries, view.messages) };
  } catch (error) {
    return { ...observed, retry: `refused: ${String(error.message).slice(0, 200)}` };
  }
}

/** n8n variants: kill n8n when the stand-in accepts message `killAt`, start it again, then finish as a user can. */
async function restartN8nVariant(ctx, variant, entries, killAt) {
  const bot = botOf(ctx, variant);
  const view = since(bot);
  const workflowId = workflowIdOf(variant, false);
  const startedAt = Date.now();
  let killed;
  bot.onMessage(() => {
    if (!killed && view.messages.length >= killAt) killed = ctx.n8n.kill();
  });
  const before = await lastExecutionId(ctx.n8n, workflowId);
  const sent = await send(ctx, variant, entries, { stop: () => Boolean(killed) });
  const finishedFirst = await sent.done();
  bot.onMessage(undefined);
  // A variant that stops by itself before the kill point (A1 at its first 429) is killed after it.
  await (killed ?? ctx.n8n.kill());
  const killedAt = Date.now();
  const atCrash = tally(entries, view.messages);
  await restartN8n(ctx);
  await sleep(OBSERVE_AFTER_RESTART_MS);
  const resumedSends = view.messages.filter((m) => m.at > killedAt).length;
  const crash = await afterN8nCrash(ctx, workflowId, before, view, entries);
  const actions = ['looked at the crashed execution', `Retry: ${crash.retry ?? 'nothing to retry'}`];
  let final = crash.afterRetry ?? tally(entries, view.messages);
  if (final.lost > 0) {
    // Nothing records who got the message (n8n's crashed execution keeps no item data and Telegram
    // cannot be asked), so the only way to reach the rest is to send the whole list again.
    actions.push('ran the broadcast again for the whole list');
    await (await send(ctx, variant, entries)).done();
    await sleep(500);
    final = tally(entries, view.messages);
  }
  const result = {
    scenario: 'restart',
    variant,
    label: LABELS[variant],
    killAt,
    killedBeforeTheEnd: !finishedFirst,
    atCrash,
    resumedSendsAfterRestart: resumedSends,
    ...crash,
    final,
    userActions: actions,
    ...rates(view, startedAt),
  };
  console.log(JSON.stringify(result));
  return result;
}

/** ours: kill the backend and n8n together at message `killAt`, start both again, do nothing else. */
async function restartOurs(ctx, entries, killAt) {
  const bot = ctx.bots.ours;
  const view = since(bot);
  const startedAt = Date.now();
  let killed;
  bot.onMessage(() => {
    if (!killed && view.messages.length >= killAt) killed = Promise.all([ctx.backend.kill(), ctx.n8n.kill()]);
  });
  const sent = await send(ctx, 'ours', entries);
  while (!killed) await sleep(50);
  await killed;
  bot.onMessage(undefined);
  const atCrash = tally(entries, view.messages);
  ctx.backend = await startBackend(ctx.backendEnv, ctx.backend.dataDir);
  await restartN8n(ctx);
  await sent.done();
  await sleep(500);
  const result = {
    scenario: 'restart',
    variant: 'ours',
    label: LABELS.ours,
    killAt,
    killedBeforeTheEnd: true,
    atCrash,
    final: tally(entries, view.messages),
    possibleDuplicates: await possibleDuplicates(ctx, sent.messageIds),
    userActions: ['none: the backend went on from its database after the restart'],
    ...rates(view, startedAt),
  };
  console.log(JSON.stringify(result));
  return result;
}

// ---- set-up -------------------------------------------------------------------------------------

async function startBackend(env, dataDir) {
  return startChildServer('delivery-backend', { ...env, ...(dataDir ? { BENCH_DATA_DIR: dataDir } : {}) });
}

async function setUp(options) {
  const { TelegramStandin } = loadStandin();
  const { N8nInstance, freePort } = requireTs('../test/e2e/support/n8n-server.ts');
  const standin = await TelegramStandin.start();
  const bots = Object.fromEntries(options.variants.map((v) => [v, standin.createBot()]));
  const ctx = { standin, bots, workflowIds: [] };
  const credentials = [];
  const workflows = [];
  for (const variant of options.variants.filter((v) => v !== 'ours')) {
    const credentialId = `sbsTelegram${variant}00000`.slice(0, 16);
    credentials.push({ id: credentialId, name: credentialId, type: 'telegramApi', data: { accessToken: bots[variant].token, baseUrl: standin.apiRoot } });
    workflows.push(variantWorkflow(variant, credentialId));
    if (variant === 'A3' && options.scenarios.includes('restart')) workflows.push(variantWorkflow('A3+', credentialId));
  }
  if (bots.ours) {
    const { mix } = options;
    ctx.backendEnv = {
      BENCH_TELEGRAM_TOKEN: bots.ours.token,
      BENCH_LEADS: String(Math.max(options.recipients, mix.once + mix.repeated)),
      BENCH_GROUPS: String(mix.groups),
      // A fixed port: the backend comes back on it after the kill, where n8n's credential points.
      BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, PORT: String(await freePort()) }),
    };
    ctx.backend = await startBackend(ctx.backendEnv);
    ctx.backendToken = ctx.backend.token;
    credentials.push({ id: 'sbsMetabot000001', name: 'sbsMetabot000001', type: 'metabotApi', data: { serverUrl: `${ctx.backend.url}/api/v1`, botId: ctx.backend.botId, token: ctx.backend.token } });
    workflows.push(variantWorkflow('ours', 'sbsMetabot000001'), variantWorkflow('ours', 'sbsMetabot000001', { each: true }));
  }
  ctx.workflowIds = workflows.map((w) => w.id);
  ctx.instance = await N8nInstance.create();
  await ctx.instance.setup({ credentials, workflows });
  await restartN8n(ctx);
  return ctx;
}

async function tearDown(ctx) {
  await ctx.n8n?.stop();
  await ctx.backend?.stop();
  await ctx.standin.close();
}

// ---- the scenarios ------------------------------------------------------------------------------

async function runScenarios(ctx, options, save) {
  const results = { broadcast: [], restart: [], perchat: [] };
  const broadcast = broadcastEntries(options.recipients);
  for (const scenario of options.scenarios) {
    for (const variant of scenario === 'restart' ? restartVariants(options.variants) : options.variants) {
      await sleep(WINDOWS_CLEAR_MS);
      if (scenario === 'broadcast') results.broadcast.push(await run(ctx, 'broadcast', variant, broadcast));
      if (scenario === 'perchat') results.perchat.push(await run(ctx, 'perchat', variant, perChatEntries(options.mix), { each: true }));
      if (scenario === 'restart') {
        const reached = results.broadcast.find((r) => r.variant === variant.replace('+', ''))?.peopleReached ?? options.recipients;
        const killAt = Math.max(1, Math.floor(reached / 2));
        results.restart.push(variant === 'ours' ? await restartOurs(ctx, broadcast, killAt) : await restartN8nVariant(ctx, variant, broadcast, killAt));
      }
      save(results);
    }
  }
  return results;
}

async function main() {
  const options = readOptions(process.argv.slice(2));
  const startedAt = new Date();
  const loadBefore = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const n8nVersion = process.env.N8N_VERSION ?? '2.40.7';
  // The report is written after every run, so a run that fails late keeps what it measured.
  const reportOf = (results) => ({
    title: `Telegram stand-in limits on (30/s per bot, ~1/s per chat, 20/min per group); n8n ${n8nVersion}; ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    loadBefore,
    loadAfter: execFileSync('uptime', { encoding: 'utf8' }).trim(),
    n8nVersion,
    options,
    results,
  });
  const save = (results) => fs.writeFileSync(options.out, JSON.stringify(reportOf(results)));
  const ctx = await setUp(options);
  let results;
  try {
    results = await runScenarios(ctx, options, save);
  } finally {
    await tearDown(ctx);
  }
  const report = reportOf(results);
  fs.writeFileSync(options.out, JSON.stringify(report));
  console.log(`wrote ${options.out}`);
  writePlot(report, options.quick ? options.out.replace(/\.json$/, '') + '.svg' : undefined);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
