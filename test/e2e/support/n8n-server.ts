/**
 * A real n8n server (the version scripts/install-n8n.sh installs, on its own Node 24) with this
 * package loaded as a custom extension, set up with n8n's own CLI: credentials and workflows are
 * imported, workflows published (activated), then `n8n start` runs until stop().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { n8nModulesDir, node24Bin } from '../../nodes/support/n8n-runtime';
import { buildPackage } from '../../nodes/support/package-build';

const n8nBin = path.join(n8nModulesDir, 'n8n', 'bin', 'n8n');
const STARTUP_TIMEOUT_MS = 120_000;

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The published package (dist + package.json) in a folder of its own, as N8N_CUSTOM_EXTENSIONS expects. */
function extensionFolder(root: string): string {
  const built = buildPackage();
  const target = path.join(root, 'extensions', 'n8n-nodes-metabot');
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(path.join(built, 'dist'), path.join(target, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(built, 'package.json'), path.join(target, 'package.json'));
  return path.dirname(target);
}

/** A CORS preflight makes n8n look the webhook up: 204 when it is registered, 404 before. */
const corsPreflight = { Origin: 'http://probe.test', 'Access-Control-Request-Method': 'POST' };

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface N8nServer {
  url: string;
  webhookUrl(pathName: string): string;
  /** Resolves once a production webhook is registered (workflow activation runs after startup). */
  waitForWebhook(pathName: string, timeoutMs?: number): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export interface N8nSetup {
  credentials: object[];
  workflows: Array<{ id: string } & Record<string, unknown>>;
}

export class N8nInstance {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-e2e-n8n-'));
  private output = '';

  private constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(): Promise<N8nInstance> {
    const port = await freePort();
    const probe = new N8nInstance(port, {});
    const env: NodeJS.ProcessEnv = {
      PATH: `${node24Bin}:${process.env.PATH}`,
      HOME: probe.root,
      N8N_USER_FOLDER: probe.root,
      N8N_PORT: String(port),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_SECURE_COOKIE: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_ENCRYPTION_KEY: 'metabot-e2e-encryption-key',
      N8N_CUSTOM_EXTENSIONS: extensionFolder(probe.root),
      WEBHOOK_URL: `http://127.0.0.1:${port}/`,
      N8N_LOG_LEVEL: 'info',
      DB_SQLITE_POOL_SIZE: '2',
      NODE_ENV: 'production',
    };
    return Object.assign(probe, { env });
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(node24Bin, 'node'), [n8nBin, ...args], { env: this.env, cwd: this.root });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (out += chunk));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`n8n ${args.join(' ')} exited with ${code}:\n${out}`))));
    });
  }

  /** Imports credentials and workflows and publishes the workflows, all with n8n's CLI. */
  async setup({ credentials, workflows }: N8nSetup): Promise<void> {
    const credentialsFile = path.join(this.root, 'credentials.json');
    fs.writeFileSync(credentialsFile, JSON.stringify(credentials));
    await this.run(['import:credentials', `--input=${credentialsFile}`]);
    const workflowDir = path.join(this.root, 'workflows');
    fs.mkdirSync(workflowDir, { recursive: true });
    for (const workflow of workflows) fs.writeFileSync(path.join(workflowDir, `${workflow.id}.json`), JSON.stringify(workflow));
    await this.run(['import:workflow', '--separate', `--input=${workflowDir}`]);
    for (const workflow of workflows.filter((w) => w.active)) await this.run(['publish:workflow', `--id=${workflow.id}`]);
  }

  async start(): Promise<N8nServer> {
    const child: ChildProcess = spawn(path.join(node24Bin, 'node'), [n8nBin, 'start'], { env: this.env, cwd: this.root });
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const url = `http://127.0.0.1:${this.port}`;
    await this.waitForHealth(url, child);
    return {
      url,
      webhookUrl: (pathName) => `${url}/webhook/${pathName}`,
      waitForWebhook: (pathName, timeoutMs = 60_000) =>
        waitUntil(async () => (await fetch(`${url}/webhook/${pathName}`, { method: 'OPTIONS', headers: corsPreflight })).status < 400, timeoutMs, `webhook ${pathName} to be registered`),
      logs: () => this.output,
      stop: async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        fs.rmSync(this.root, { recursive: true, force: true });
      },
    };
  }

  private async waitForHealth(url: string, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`n8n exited with ${child.exitCode}:\n${this.output}`);
      // /healthz answers before workflows are activated; "Editor is now accessible" comes after.
      const ready = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      if (ready && /Editor is now accessible/.test(this.output)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`n8n did not start within ${STARTUP_TIMEOUT_MS} ms:\n${this.output}`);
  }
}
