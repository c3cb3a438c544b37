import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DemoBot } from './backend';
import { installExtension, n8nEnv, type N8nOwner, N8nOwnerSession, runN8nCli } from './n8n';
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
 * and the example workflows imported with n8n's CLI (again only when they changed). Answers n8n's
 * environment.
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
  if (o.stateFile.state.workflowsHash === workflowsHash) return env;
  await runN8nCli(env, ['import:workflow', '--separate', `--input=${workflowDir}`]);
  o.stateFile.update({ workflowsHash });
  console.log(`imported ${files.length} example workflows into n8n`);
  return env;
}

/**
 * n8n 2.x opens the editor only once an owner exists: created on the first run, its login kept in
 * the state file. The demo workflow is published through the owner's session on every start: after
 * an import it is unpublished, and publishing again re-registers its trigger where the ports moved.
 */
export async function ensureOwner(n8nUrl: string, stateFile: StateFile): Promise<N8nOwner | undefined> {
  let owner = stateFile.state.n8nOwner;
  let session: N8nOwnerSession | undefined;
  if (!owner) {
    owner = { email: 'demo@example.com', password: `Demo${crypto.randomBytes(9).toString('base64url')}7` };
    session = await N8nOwnerSession.setUp(n8nUrl, owner);
    if (!session) return undefined; // set up by hand earlier: the user knows the login
    stateFile.update({ n8nOwner: owner });
  }
  session ??= await N8nOwnerSession.signIn(n8nUrl, owner);
  await session.publish(DEMO_WORKFLOW_ID);
  return owner;
}
