/**
 * Which way imports may point in the backend (docs/ARCHITECTURE.md, "Layers"): the platform kernel
 * at the bottom, capabilities above it, the composition root on top. `npm run check:imports`, in CI.
 */
const ROOT = '^backend/src/(app|runtime|server|workers|main|api-document|index)\\.ts$';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles, type-only imports included.', from: {}, to: { circular: true } },
    { name: 'platform-imports-no-capability', severity: 'error', comment: 'The kernel knows no capability.', from: { path: '^backend/src/platform/' }, to: { path: '^backend/src/', pathNot: '^backend/src/platform/' } },
    { name: 'capabilities-never-import-the-root', severity: 'error', comment: 'Data flows downward: capabilities take what they need as parameters.', from: { path: '^backend/src/', pathNot: ROOT }, to: { path: ROOT } },
    { name: 'nodes-never-import-the-backend', severity: 'error', comment: 'The n8n package talks to the backend over HTTP only.', from: { path: '^(nodes|credentials)/' }, to: { path: '^backend/' } },
  ],
  options: { doNotFollow: { path: 'node_modules' }, tsPreCompilationDeps: true, tsConfig: { fileName: 'tsconfig.json' } },
};
