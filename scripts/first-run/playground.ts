import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DemoBot } from './backend';
import { communityNodesDir, installCommunityPackage, n8nEnv, type N8nOwner, N8nOwnerSession, packPackage, runN8nCli } from './n8n';
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
 * n8n's user folder under data/n8n with this package installed as a community package, the demo
 * bot's credential and the example workflows imported with n8n's CLI (again only when they changed).
 * Answers n8n's environment.
 */
export async function prepareN8n(o: PlaygroundOptions): Promise<NodeJS.ProcessEnv> {
  const userFolder = path.join(o.dataDir, 'n8n');
  fs.mkdirSync(userFolder, { recursive: true });
  installPackedPackage(o.root, userFolder, o.stateFile);
  const env = n8nEnv({ userFolder, port: o.port, brokerPort: o.brokerPort });

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

/** The build's files: the package is packed and installed again only when one of them changed. */
function buildFingerprint(root: string): string {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  const inputs = [path.join(root, 'package.json'), ...files(path.join(root, 'dist')).sort()];
  return fingerprint(inputs.map((file) => `${path.relative(root, file)}\n${fs.readFileSync(file, 'base64')}`));
}

/** `npm pack` of the checkout's build, installed the way Settings → Community nodes installs it. */
function installPackedPackage(root: string, userFolder: string, stateFile: StateFile): void {
  // The launcher used to load a copy from extensions/ (N8N_CUSTOM_EXTENSIONS); n8n no longer reads it.
  fs.rmSync(path.join(userFolder, 'extensions'), { recursive: true, force: true });
  const packageHash = buildFingerprint(root);
  const installed = path.join(communityNodesDir(userFolder), 'node_modules', 'n8n-nodes-metabot', 'package.json');
  if (stateFile.state.packageHash === packageHash && fs.existsSync(installed)) return;
  const packDir = path.join(userFolder, 'packed');
  fs.rmSync(packDir, { recursive: true, force: true });
  installCommunityPackage(packPackage(root, packDir), userFolder);
  stateFile.update({ packageHash });
  console.log('installed the packed n8n-nodes-metabot into n8n\'s community nodes folder');
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
