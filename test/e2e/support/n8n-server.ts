/**
 * A real n8n server (the version scripts/install-n8n.sh installs, on its own Node 24) with the
 * packed package installed as a community package (as Settings → Community nodes installs it), set
 * up with n8n's own CLI: credentials and workflows are
 * imported, workflows published (activated), then `n8n start` runs until stop(). The recipe is
 * shared with the first-run launcher (scripts/first-run/n8n.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installCommunityPackage, n8nEnv, N8nOwnerSession, runN8nCli, startN8n, startN8nWorker } from '../../../scripts/first-run/n8n';
import { type Child, freePort } from '../../../scripts/first-run/processes';
import { packedPackage } from '../../nodes/support/package-build';

// A loaded machine (a shared CI box, a benchmark next to other work) may need longer: N8N_STARTUP_TIMEOUT_MS.
const STARTUP_TIMEOUT_MS = Number(process.env.N8N_STARTUP_TIMEOUT_MS ?? 120_000);

export { freePort };

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
  /** The n8n process (a bench reads its CPU time from /proc). */
  pid: number;
  /** The instance owner's REST session: node types, publishing, executions, retries. */
  owner: N8nOwnerSession;
  webhookUrl(pathName: string): string;
  /** Resolves once a production webhook is registered (workflow activation runs after startup). */
  waitForWebhook(pathName: string, timeoutMs?: number): Promise<void>;
  logs(): string;
  /** SIGKILL, sent at once (a crash at this instant); the user folder stays, so `start()` runs the same n8n again. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface N8nSetup {
  credentials: object[];
  workflows: Array<{ id: string } & Record<string, unknown>>;
}

export class N8nInstance {
  private toPublish: string[] = [];
  private started = false;

  private constructor(
    readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `extra`: more environment, shared with its workers (queue mode: database, Redis). */
  static async create(extra: NodeJS.ProcessEnv = {}): Promise<N8nInstance> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-e2e-n8n-'));
    installCommunityPackage(packedPackage(), root);
    const env = n8nEnv({
      userFolder: root,
      port: await freePort(),
      brokerPort: await freePort(),
      extra: { N8N_ENCRYPTION_KEY: 'metabot-e2e-encryption-key', ...extra },
    });
    return new N8nInstance(root, env);
  }

  /**
   * An `n8n worker` beside this instance (queue mode): the same environment (database, Redis,
   * encryption key), a user folder of its own with its own install of the package, as every worker
   * machine or container has. Stopped and removed by its stop().
   */
  async startWorker(): Promise<Child> {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-e2e-n8n-worker-'));
    installCommunityPackage(packedPackage(), folder);
    const env = { ...this.env, HOME: folder, N8N_USER_FOLDER: folder, N8N_PORT: String(await freePort()), N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
    const worker = await startN8nWorker(env, { timeoutMs: STARTUP_TIMEOUT_MS });
    return {
      ...worker,
      stop: async () => {
        await worker.stop();
        fs.rmSync(folder, { recursive: true, force: true });
      },
    };
  }

  /** Imports credentials and workflows with n8n's CLI; the active ones are published once n8n runs. */
  async setup({ credentials, workflows }: N8nSetup): Promise<void> {
    const credentialsFile = path.join(this.root, 'credentials.json');
    fs.writeFileSync(credentialsFile, JSON.stringify(credentials));
    await runN8nCli(this.env, ['import:credentials', `--input=${credentialsFile}`]);
    const workflowDir = path.join(this.root, 'workflows');
    fs.mkdirSync(workflowDir, { recursive: true });
    for (const workflow of workflows) fs.writeFileSync(path.join(workflowDir, `${workflow.id}.json`), JSON.stringify(workflow));
    await runN8nCli(this.env, ['import:workflow', '--separate', `--input=${workflowDir}`]);
    this.toPublish = workflows.filter((w) => w.active).map((w) => w.id);
  }

  /** Starts n8n; after a kill(), the same instance again (its owner signs in, its workflows are still published). */
  async start(): Promise<N8nServer> {
    const n8n = await startN8n(this.env, { timeoutMs: STARTUP_TIMEOUT_MS });
    const credentials = { email: 'e2e@example.com', password: 'E2e-owner-password-1' };
    let owner: N8nOwnerSession | undefined;
    try {
      if (this.started) owner = await N8nOwnerSession.signIn(n8n.url, credentials);
      else {
        owner = await N8nOwnerSession.setUp(n8n.url, credentials);
        if (!owner) throw new Error('n8n refused to set up its owner');
        for (const id of this.toPublish) await owner.publish(id);
      }
    } catch (error) {
      await n8n.stop();
      throw error;
    }
    this.started = true;
    const exited = new Promise<void>((resolve) => (n8n.process.exitCode !== null ? resolve() : n8n.process.once('exit', () => resolve())));
    return {
      url: n8n.url,
      pid: n8n.process.pid ?? 0,
      owner,
      kill: () => {
        n8n.process.kill('SIGKILL');
        return exited;
      },
      webhookUrl: (pathName) => `${n8n.url}/webhook/${pathName}`,
      waitForWebhook: (pathName, timeoutMs = 60_000) =>
        waitUntil(async () => (await fetch(`${n8n.url}/webhook/${pathName}`, { method: 'OPTIONS', headers: corsPreflight })).status < 400, timeoutMs, `webhook ${pathName} to be registered`),
      logs: n8n.output,
      stop: async () => {
        await n8n.stop();
        fs.rmSync(this.root, { recursive: true, force: true });
      },
    };
  }
}
