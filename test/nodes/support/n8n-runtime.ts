import { describeNeeding } from '../../../backend/test/support/describe-needing';
import { n8nInstalled, n8nRuntimeDir, n8nVersion } from '../../../scripts/first-run/n8n';

/**
 * The real n8n installed by scripts/install-n8n.sh (outside the repository, keyed by version).
 * Its n8n-core runs the nodes in jest; its CLI runs the end-to-end suite.
 */
export { n8nInstalled, n8nModulesDir, n8nRuntimeDir, n8nVersion, node24Bin } from '../../../scripts/first-run/n8n';

/** A suite that runs inside the n8n that scripts/install-n8n.sh installs (`bash .ci/run` does). */
export function describeWithN8n(name: string, body: () => void): void {
  describeNeeding(n8nInstalled(), `n8n ${n8nVersion} is not installed at ${n8nRuntimeDir}: run scripts/install-n8n.sh`, name, body);
}

export function requireFromN8n<T = any>(moduleName: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(moduleName, { paths: [n8nRuntimeDir] })) as T;
}
