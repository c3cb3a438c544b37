import { n8nInstalled, n8nRuntimeDir, n8nVersion } from '../../../scripts/first-run/n8n';

/**
 * The real n8n installed by scripts/install-n8n.sh (outside the repository, keyed by version).
 * Its n8n-core runs the nodes in jest; its CLI runs the end-to-end suite.
 */
export { n8nInstalled, n8nModulesDir, n8nRuntimeDir, n8nVersion, node24Bin } from '../../../scripts/first-run/n8n';

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
