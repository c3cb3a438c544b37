import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DemoBot } from './backend';
import { installExtension, n8nEnv, runN8nCli } from './n8n';
import { fingerprint, type StateFile } from './state';

/** The credential every example workflow references by id, so an import resolves it. */
export const EXAMPLE_CREDENTIAL = { id: 'metabotDemoCred1', name: 'Metabot demo' };
/** The workflow published (activated) on first run: it needs nothing but the backend. */
export const DEMO_WORKFLOW_ID = 'exDemoBot0000001';

export interface PlaygroundOptions {
  root: string;
  dataDir: string;
  port: number;
  brokerPort: number;
  backendUrl: string;
  bot: DemoBot;
  stateFile: StateFile;
}

/**
 * n8n's user folder under data/n8n with this package as an extension, the demo bot's credential
 * and the example workflows imported with n8n's CLI (again only when they changed), the demo one
 * published. Answers n8n's environment.
 */
export async function prepareN8n(o: PlaygroundOptions): Promise<NodeJS.ProcessEnv> {
  const userFolder = path.join(o.dataDir, 'n8n');
  fs.mkdirSync(userFolder, { recursive: true });
  const env = n8nEnv({ userFolder, port: o.port, brokerPort: o.brokerPort, extensions: installExtension(o.root, userFolder) });

  const credential = { ...EXAMPLE_CREDENTIAL, type: 'metabotApi', data: { serverUrl: `${o.backendUrl}/api/v1`, botId: o.bot.botId, token: o.bot.token } };
  if (o.stateFile.state.credentialHash !== fingerprint(credential)) {
    const file = path.join(userFolder, 'demo-credential.json');
    fs.writeFileSync(file, JSON.stringify([credential]), { mode: 0o600 });
    await runN8nCli(env, ['import:credentials', `--input=${file}`]);
    fs.rmSync(file);
    o.stateFile.update({ credentialHash: fingerprint(credential) });
    console.log('stored the demo bot\'s API token in n8n (credential "Metabot demo")');
  }

  const workflowDir = path.join(o.root, 'examples/workflows');
  const files = fs.readdirSync(workflowDir).filter((f) => f.endsWith('.json')).sort();
  const workflowsHash = fingerprint(files.map((f) => fs.readFileSync(path.join(workflowDir, f), 'utf8')));
  if (o.stateFile.state.workflowsHash !== workflowsHash) {
    await runN8nCli(env, ['import:workflow', '--separate', `--input=${workflowDir}`]);
    await runN8nCli(env, ['publish:workflow', `--id=${DEMO_WORKFLOW_ID}`]);
    o.stateFile.update({ workflowsHash });
    console.log(`imported ${files.length} example workflows into n8n and activated the demo one`);
  }
  return env;
}

/** n8n 2.x opens the editor only once an owner exists: created once, the login kept in the state file. */
export async function ensureOwner(n8nUrl: string, stateFile: StateFile): Promise<{ email: string; password: string } | undefined> {
  if (stateFile.state.n8nOwner) return stateFile.state.n8nOwner;
  const owner = { email: 'demo@example.com', password: `Demo${crypto.randomBytes(9).toString('base64url')}7` };
  const answer = await fetch(`${n8nUrl}/rest/owner/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...owner, firstName: 'Demo', lastName: 'Owner' }),
  });
  if (!answer.ok) return undefined; // set up earlier by hand: the user knows the login
  stateFile.update({ n8nOwner: owner });
  return owner;
}
