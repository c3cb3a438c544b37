import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';
import { buildPackage } from './support/package-build';

const rootPackage = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));

describe('the community package manifest', () => {
  it('has no runtime dependencies and only n8n-workflow as a peer', () => {
    expect(rootPackage.dependencies ?? {}).toEqual({});
    expect(Object.keys(rootPackage.peerDependencies)).toEqual(['n8n-workflow']);
    expect(rootPackage.keywords).toContain('n8n-community-node-package');
    expect(rootPackage.files).toEqual(['dist']);
  });
});

describeWithN8n('the package as n8n loads it', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let credentials: { serverUrl: string; botId: number; token: string };

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    const { botId, token } = await backend.createBot();
    credentials = { serverUrl: `${backend.url}/api/v1/`, botId, token };
    engine = await N8nEngine.load(credentials);
  }, 120_000);
  afterAll(() => backend?.close());

  it('registers the four nodes and the credential, each with codex, icon and the credential', () => {
    const { nodes, credentials: creds, descriptions } = engine.loaded;
    expect(nodes.sort()).toEqual(['callCommunication', 'linkUser', 'metabotDataTable', 'metabotTrigger']);
    expect(creds).toEqual(['metabotApi']);
    for (const description of descriptions) {
      expect(description.codex.categories.length).toBeGreaterThan(0);
      expect(description.iconUrl).toEqual({
        light: expect.stringMatching(/^icons\/n8n-nodes-metabot\/dist\/nodes\/\w+\/metabot\.svg$/),
        dark: expect.stringMatching(/^icons\/n8n-nodes-metabot\/dist\/nodes\/\w+\/metabot\.dark\.svg$/),
      });
      expect(description.credentials).toEqual([{ name: 'metabotApi', required: true }]);
    }
  });

  it('offers the three action nodes to AI agents as tools, not the trigger', () => {
    const usable = Object.fromEntries(engine.loaded.descriptions.map((d: any) => [d.name, d.usableAsTool === true]));
    expect(usable).toEqual({ callCommunication: true, linkUser: true, metabotDataTable: true, metabotTrigger: false });
  });

  it('the credential test request succeeds with a valid token and fails with a wrong one', async () => {
    const credentialType = engine.credentialType('metabotApi');
    const workflow = engine.workflow([{ name: 'Probe', type: 'linkUser', parameters: {} }]);
    const node = workflow.getNode('Probe');
    const resolve = (value: string, creds: object) => workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: creds }, undefined, '');
    const probe = async (token: string) => {
      const creds = { ...credentials, token };
      const { baseURL, url } = credentialType.test.request;
      // n8n hands every request of the credential to its authenticate function, the test request's too.
      const request = await credentialType.authenticate(creds, { url: `${resolve(baseURL, creds)}${resolve(url, creds)}`, headers: {} });
      return await fetch(request.url, { headers: request.headers });
    };
    const ok = await probe(credentials.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ success: true, bot: { id: credentials.botId } });
    expect((await probe('wrong')).status).toBe(401);
  });

  it('npm pack ships only dist and package.json (and a README when there is one)', () => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: buildPackage(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files: string[] = JSON.parse(output)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('package.json');
    expect(files).toContain('dist/nodes/MetabotTrigger/MetabotTrigger.node.js');
    expect(files.filter((f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE(\.md)?)$/i.test(f))).toEqual([]);
  });
});
