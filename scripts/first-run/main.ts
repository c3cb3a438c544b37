/**
 * `npm start`: from a fresh clone to a working playground — the backend on SQLite (./data), a local
 * n8n with this package, a demo bot whose token sits in an n8n credential, the example workflows
 * imported and the demo one active. A second run repeats nothing. See usage in options.ts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type DemoBot, ensureConsoleLogin, ensureDemoBot, startBackend } from './backend';
import { roundTrip } from './check';
import { startN8n } from './n8n';
import { type Options, parseOptions, usage } from './options';
import { ensureOwner, prepareN8n } from './playground';
import { type Child, freePort } from './processes';
import { StateFile } from './state';

const root = path.resolve(__dirname, '../../..');
const children: Child[] = [];
let stopping = false;

/** A path as the user reads it: relative inside the checkout, absolute elsewhere. */
const shown = (file: string) => (path.relative(root, file).startsWith('..') ? file : path.relative(root, file));

/** scripts/install-n8n.sh does nothing when the cached install exists; on first run it prints progress. */
async function ensureN8nInstalled(): Promise<void> {
  const install = execFile('bash', [path.join(root, 'scripts/install-n8n.sh')], { cwd: root });
  install.stderr?.pipe(process.stderr);
  await new Promise<void>((resolve, reject) => install.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`installing n8n failed (exit ${code})`)))));
}

/** Stops n8n, then the backend (n8n's triggers unsubscribe through the backend). */
async function stopAll(): Promise<void> {
  for (const child of children.splice(0).reverse()) await child.stop();
}

async function webChatLine(backendUrl: string, botId: number): Promise<string> {
  const url = `${backendUrl}/chat/${botId}`;
  const served = await fetch(url).then((r) => r.ok, () => false);
  return served ? `web chat:     ${url}` : `web chat:     not in this build yet; talk to the bot through the API (README)`;
}

async function run(options: Options): Promise<void> {
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // A throwaway check takes free ports; a kept data folder keeps its ports (n8n's webhook URLs, stored in subscriptions, carry them).
  const ports = options.temporaryData ? { backend: await freePort(), n8n: await freePort() } : { backend: options.port, n8n: options.n8nPort };
  if (!options.backendOnly) await ensureN8nInstalled();
  const stateFile = StateFile.open(options.dataDir);
  const backendUrl = `http://127.0.0.1:${ports.backend}`;
  // The local n8n listens on 127.0.0.1: webhooks and resume calls must be allowed to reach it.
  const paths = { root, dataDir: options.dataDir, env: { WEBHOOK_ALLOW_PRIVATE: 'true', ...process.env, PORT: String(ports.backend), HOST: '127.0.0.1', DATA_DIR: options.dataDir } };
  const bot: DemoBot = await ensureDemoBot(paths, stateFile, options.telegramToken);
  const consoleLogin = await ensureConsoleLogin(paths, stateFile);

  children.push(await startBackend(paths, backendUrl));
  const lines = [
    `backend:      ${backendUrl}   (logs in ${shown(path.join(options.dataDir, 'logs'))})`,
    `Swagger:      ${backendUrl}/docs   ·   the demo bot's endpoints: ${backendUrl}/docs/${bot.botId}`,
    await webChatLine(backendUrl, bot.botId),
    `API token:    ${shown(path.join(options.dataDir, 'demo-token.txt'))} (bot ${bot.botId})`,
    `console:      ${backendUrl}/console   login ${consoleLogin.email} / ${consoleLogin.password}`,
  ];
  if (options.telegramToken) lines.push('Telegram:     the demo bot answers in Telegram: send it /start');
  if (!options.backendOnly) {
    console.log(`backend ready at ${backendUrl}; starting n8n (about a minute)...`);
    const env = await prepareN8n({ root, dataDir: options.dataDir, port: ports.n8n, brokerPort: await freePort(), backendUrl, bot, stateFile });
    const n8n = await startN8n(env, { logFile: path.join(options.dataDir, 'logs/n8n.log'), detached: true });
    children.push(n8n);
    const owner = await ensureOwner(n8n.url, stateFile);
    lines.push(`n8n editor:   ${n8n.url}   login ${owner ? `${owner.email} / ${owner.password}` : 'with the owner you created (publish "Demo: echo bot and ping" there)'}`);
  }
  console.log(`\n${lines.join('\n')}\n`);

  if (options.check) {
    if (!options.backendOnly) console.log(`check: demo/ping → n8n → demo/pong in ${await roundTrip(backendUrl, bot)} ms`);
    await stopAll();
    if (options.temporaryData) fs.rmSync(options.dataDir, { recursive: true, force: true });
    console.log('check passed');
    return;
  }
  console.log('Ctrl-C stops everything.');
  const exited = await Promise.race(children.map((child) => new Promise<Child>((resolve) => child.process.once('exit', () => resolve(child)))));
  if (stopping) return;
  throw new Error(`${exited.name} stopped unexpectedly:\n${exited.output()}`);
}

function main(): void {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2), process.env, root);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (options === 'help') return void console.log(usage);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      console.log('\nstopping...');
      void stopAll().then(() => process.exit(0));
    });
  }
  run(options).catch(async (error: Error) => {
    if (stopping) return;
    console.error(`\n${error.message}`);
    await stopAll();
    process.exit(1);
  });
}

main();
