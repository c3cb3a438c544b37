// Lint for the n8n community package (nodes/ and credentials/): n8n's community-node rules plus
// the classic n8n-nodes-base rules for nodes and credentials, on top of typescript-eslint.
import tseslint from 'typescript-eslint';
import communityNodes from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

export default tseslint.config(
  { ignores: ['dist/**', 'backend/**', 'node_modules/**', 'test/**', 'bench/**', 'scripts/**', '*.js', '*.mjs'] },
  ...tseslint.configs.recommended,
  communityNodes.configs.recommended,
  {
    files: ['credentials/**/*.ts'],
    plugins: { 'n8n-nodes-base': n8nNodesBase },
    rules: {
      ...n8nNodesBase.configs.credentials.rules,
      // Main-repository rule (docs slugs); community credentials link a full URL instead.
      'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
    },
  },
  {
    files: ['nodes/**/*.ts'],
    plugins: { 'n8n-nodes-base': n8nNodesBase },
    rules: {
      ...n8nNodesBase.configs.nodes.rules,
      // Superseded by @n8n/community-nodes/node-connection-type-literal, which asks for NodeConnectionTypes.
      'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
      'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
    },
  },
);
