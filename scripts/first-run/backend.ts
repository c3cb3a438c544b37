import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod/v4';
import { type Child, waitForHttp, watchProcess } from './processes';
import { fingerprint, type StateFile } from './state';

const execFileAsync = promisify(execFile);

export interface BackendPaths {
  root: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

/** `metabot-backend <args>` (the compiled CLI) with the launcher's environment; answers its JSON. */
async function cli<T>(paths: BackendPaths, args: string[], schema: z.ZodType<T>): Promise<T> {
  const { stdout } = await execFileAsync(process.execPath, [path.join(paths.root, 'backend/dist/main.js'), ...args], { env: paths.env, cwd: paths.root });
  return schema.parse(JSON.parse(stdout));
}

const botSchema = z.object({ id: z.number().int(), name: z.string() });

/** Every example map joined into one (a bot has one current map); two maps declaring one alias is an error. */
function demoMap(root: string) {
  const dir = path.join(root, 'examples/maps');
  const endpoints: Array<{ alias: string }> = [];
  const owner = new Map<string, string>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const map = z.object({ endpoints: z.array(z.object({ alias: z.string() }).loose()) }).parse(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    for (const endpoint of map.endpoints) {
      if (owner.has(endpoint.alias)) throw new Error(`examples/maps: "${endpoint.alias}" is declared in ${owner.get(endpoint.alias)} and ${file}`);
      owner.set(endpoint.alias, file);
      endpoints.push(endpoint);
    }
  }
  return { name: 'Demo: every example of examples/maps', endpoints };
}

export interface DemoBot {
  botId: number;
  token: string;
}

/**
 * The demo bot with the examples' map and an API token (data/demo-token.txt), created once; the map
 * is imported again when the examples change, the Telegram token when TELEGRAM_BOT_TOKEN changes.
 */
export async function ensureDemoBot(paths: BackendPaths, stateFile: StateFile, telegramToken: string | undefined): Promise<DemoBot> {
  const tokenFile = path.join(paths.dataDir, 'demo-token.txt');
  let { botId } = stateFile.state;
  if (botId === undefined || !fs.existsSync(tokenFile)) {
    const bot = await cli(paths, ['bot', 'create', '--name', 'Demo bot'], botSchema);
    const { token } = await cli(paths, ['token', 'create', '--bot', String(bot.id), '--name', 'demo'], z.object({ token: z.string() }));
    fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    botId = bot.id;
    stateFile.update({ botId, mapHash: undefined, telegramTokenHash: undefined, credentialHash: undefined });
    console.log(`created the demo bot (id ${botId}); its API token is in ${tokenFile}`);
  }
  const map = demoMap(paths.root);
  if (stateFile.state.mapHash !== fingerprint(map)) {
    const mapFile = path.join(paths.dataDir, 'demo-map.json');
    fs.writeFileSync(mapFile, JSON.stringify(map, null, 2));
    await cli(paths, ['map', 'import', '--bot', String(botId), '--file', mapFile, '--author', 'first-run'], z.unknown());
    stateFile.update({ mapHash: fingerprint(map) });
    console.log(`imported the examples' communication map (${map.endpoints.length} endpoints)`);
  }
  if (telegramToken && stateFile.state.telegramTokenHash !== fingerprint(telegramToken)) {
    await cli(paths, ['bot', 'set-telegram-token', String(botId), '--token', telegramToken], z.unknown());
    stateFile.update({ telegramTokenHash: fingerprint(telegramToken) });
    console.log('gave the demo bot your TELEGRAM_BOT_TOKEN: it answers in Telegram');
  }
  return { botId, token: fs.readFileSync(tokenFile, 'utf8').trim() };
}

const CONSOLE_EMAIL = 'admin@example.com';

/** The demo's console account: an admin, created once through the CLI, its generated password kept in the state file (0600). */
export async function ensureConsoleLogin(paths: BackendPaths, stateFile: StateFile): Promise<{ email: string; password: string }> {
  if (stateFile.state.consoleLogin) return stateFile.state.consoleLogin;
  const created = await cli(paths, ['console-user', 'create', '--email', CONSOLE_EMAIL, '--role', 'admin'], z.object({ email: z.string(), password: z.string() }));
  stateFile.update({ consoleLogin: { email: created.email, password: created.password } });
  console.log(`created the console account ${created.email} (admin)`);
  return stateFile.state.consoleLogin!;
}

/**
 * The Node flags `metabot-backend serve` runs with: its shebang's (backend/src/main.ts; `npm start -w backend`
 * repeats them), so the launcher's backend is the one measured in docs/benchmarks.md ("Memory").
 */
export function serveNodeFlags(root: string): string[] {
  const shebang = fs.readFileSync(path.join(root, 'backend/dist/main.js'), 'utf8').split('\n')[0];
  return shebang.replace(/^#!\/usr\/bin\/env (-S )?node\s*/, '').split(' ').filter(Boolean);
}

/** `metabot-backend serve`; resolves once /readyz answers. Its log goes to data/logs/backend.log. */
export async function startBackend(paths: BackendPaths, url: string): Promise<Child> {
  const args = [...serveNodeFlags(paths.root), path.join(paths.root, 'backend/dist/main.js'), 'serve'];
  const child = watchProcess('backend', spawn(process.execPath, args, { env: paths.env, cwd: paths.root, detached: true }), path.join(paths.dataDir, 'logs/backend.log'));
  await waitForHttp(`${url}/readyz`, child, 60_000);
  return child;
}
