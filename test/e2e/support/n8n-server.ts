/**
 * A real n8n server (the version scripts/install-n8n.sh installs, on its own Node 24) with this
 * package loaded as a custom extension, set up with n8n's own CLI: credentials and workflows are
 * imported, workflows published (activated), then `n8n start` runs until stop(). The recipe is
 * shared with the first-run launcher (scripts/first-run/n8n.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installExtension, n8nEnv, N8nOwnerSession, runN8nCli, startN8n } from '../../../scripts/first-run/n8n';
import { freePort } from '../../../scripts/first-run/processes';
import { buildPackage } from '../../nodes/support/package-build';

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
  private toPublish: string[] = [];

  private constructor(
    readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(): Promise<N8nInstance> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-e2e-n8n-'));
    const env = n8nEnv({
      userFolder: root,
      port: await freePort(),
      brokerPort: await freePort(),
      extensions: installExtension(buildPackage(), root),
      extra: { N8N_ENCRYPTION_KEY: 'metabot-e2e-encryption-key' },
    });
    return new N8nInstance(root, env);
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

  async start(): Promise<N8nServer> {
    const n8n = await startN8n(this.env, { timeoutMs: STARTUP_TIMEOUT_MS });
    try {
      const owner = await N8nOwnerSession.setUp(n8n.url, { email: 'e2e@example.com', password: 'E2e-owner-password-1' });
      for (const id of this.toPublish) await owner!.publish(id);
    } catch (error) {
      await n8n.stop();
      throw error;
    }
    return {
      url: n8n.url,
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
