/**
 * Every file of examples/workflows, unchanged, imported into a fresh n8n that has the packed package
 * installed the way Settings → Community nodes installs it, and published: n8n knows every node type
 * they name (`n8n-nodes-metabot.*`), so none is unrecognized, and every Metabot Trigger subscribes
 * with the backend. The same n8n shows the action nodes offered to the AI Agent as tools.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createTelegramBot, startDeliveryBackend, TelegramStandin } from '../../../backend/test/support/delivery';
import type { TestBackend } from '../../../backend/test/support/test-backend';
import { describeWithN8n } from '../../nodes/support/n8n-runtime';
import { N8nInstance, type N8nServer, waitUntil } from '../support/n8n-server';
import { combinedMap, EXAMPLE_CREDENTIAL, type ExampleWorkflow, examplesRoot, readJson } from './support/example-stack';

jest.setTimeout(60_000);

const PACKAGE = 'n8n-nodes-metabot';
const exampleFiles = fs.readdirSync(path.join(examplesRoot, 'workflows')).filter((file) => file.endsWith('.json')).sort();
const mapFiles = fs.readdirSync(path.join(examplesRoot, 'maps')).filter((file) => file.endsWith('.json')).map((file) => file.replace(/\.json$/, ''));
const examples = exampleFiles.map((file) => readJson<ExampleWorkflow>(`workflows/${file}`));

/** The demo as a file loaded through N8N_CUSTOM_EXTENSIONS used to name its nodes: the control for "unknown". */
const legacyDemo: ExampleWorkflow = {
  ...examples.find((workflow) => workflow.id === 'exDemoBot0000001')!,
  id: 'exLegacyCustom01',
  name: 'Demo with custom-extension node types',
};
legacyDemo.nodes = legacyDemo.nodes.map((node) => ({ ...node, type: node.type.replace(`${PACKAGE}.`, 'CUSTOM.') }));

describeWithN8n('every example workflow, in an n8n with the packed package installed as a community package', () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let n8n: N8nServer;
  let loadedTypes: Array<{ name: string; displayName: string; outputs?: unknown }>;
  let api: (method: string, urlPath: string) => ReturnType<TestBackend['request']>;

  beforeAll(async () => {
    standin = await TelegramStandin.start();
    backend = await startDeliveryBackend(standin);
    const { botId, token } = await createTelegramBot(backend, standin);
    api = (method, urlPath) => backend.request(method, `/api/v1/bots/${botId}${urlPath}`, { token });
    // What `npm start` imports into its demo bot: every example map, joined.
    const mapAnswer = await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token, body: { document: combinedMap('All examples', mapFiles) } });
    expect(mapAnswer.status).toBeLessThan(300);

    const instance = await N8nInstance.create();
    await instance.setup({
      // The credentials the files name, as a user creates them after the import.
      credentials: [
        { ...EXAMPLE_CREDENTIAL, type: 'metabotApi', data: { serverUrl: `${backend.url}/api/v1`, botId, token } },
        { id: 'weatherApiKeyExample', name: 'WeatherAPI key', type: 'httpQueryAuth', data: { name: 'key', value: 'unused' } },
        { id: 'yookassaShopExample', name: 'YooKassa shop', type: 'httpBasicAuth', data: { user: 'unused', password: 'unused' } },
        { id: 'smsGatewayExample', name: 'SMS gateway', type: 'httpBearerAuth', data: { token: 'unused' } },
      ],
      workflows: [...examples.map((workflow) => ({ ...workflow, active: true })), legacyDemo],
    });
    n8n = await instance.start();
    loadedTypes = await n8n.owner.nodeTypes();
  }, 600_000);

  afterAll(async () => {
    await n8n?.stop();
    await backend?.close();
    await standin?.close();
  }, 30_000);

  it('reads the package from its community nodes folder: the Metabot node types are n8n-nodes-metabot.*', () => {
    const metabotTypes = loadedTypes.map((type) => type.name).filter((name) => name.startsWith(`${PACKAGE}.`) && !name.endsWith('Tool'));
    expect(metabotTypes.sort()).toEqual([`${PACKAGE}.callCommunication`, `${PACKAGE}.linkUser`, `${PACKAGE}.metabotDataTable`, `${PACKAGE}.metabotTrigger`]);
    expect(loadedTypes.some((type) => type.name.startsWith('CUSTOM.'))).toBe(false);
  });

  it.each(examples.map((workflow) => [workflow.name, workflow] as const))('%s: every node type is one n8n knows, and it is published', async (_name, workflow) => {
    const known = new Set(loadedTypes.map((type) => type.name));
    expect(workflow.nodes.map((node) => node.type).filter((type) => !known.has(type))).toEqual([]);
    expect(await n8n.owner.isActive(workflow.id)).toBe(true);
  });

  it('every Metabot Trigger of the examples subscribed with the backend', async () => {
    const triggers = examples.flatMap((workflow) => workflow.nodes.filter((node) => node.type === `${PACKAGE}.metabotTrigger`)).length;
    expect(triggers).toBeGreaterThanOrEqual(exampleFiles.length);
    await waitUntil(async () => (await api('GET', '/subscriptions')).body.subscriptions?.length === triggers, 60_000, `${triggers} subscriptions`);
  });

  it('n8n logged no unrecognized node type for the examples, and does refuse one it does not know', async () => {
    const unrecognized = [...n8n.logs().matchAll(/Unrecognized node type: (\S+)/g)].map((match) => match[1]);
    expect(unrecognized.filter((type) => !type.startsWith('CUSTOM.'))).toEqual([]);
    await expect(n8n.owner.publish(legacyDemo.id)).rejects.toThrow(/CUSTOM\.metabotTrigger|CUSTOM\.callCommunication/);
  });

  it('offers the action nodes to the AI Agent as tools (ai_tool output), and not the trigger', () => {
    const tools = loadedTypes.filter((type) => type.name.startsWith(`${PACKAGE}.`) && type.name.endsWith('Tool') && !type.name.endsWith('HitlTool'));
    expect(tools.map((type) => type.name).sort()).toEqual([`${PACKAGE}.callCommunicationTool`, `${PACKAGE}.linkUserTool`, `${PACKAGE}.metabotDataTableTool`]);
    for (const tool of tools) expect(tool.outputs).toEqual(['ai_tool']);
    expect(tools.map((type) => type.displayName).sort()).toEqual(['Call Communication Tool', 'Link User Tool', 'Metabot Data Table Tool']);
  });

  it('makes a human-review tool of Call Communication, because it has a Send and Wait operation', () => {
    const reviewTools = loadedTypes.filter((type) => type.name.startsWith(`${PACKAGE}.`) && type.name.endsWith('HitlTool'));
    expect(reviewTools.map((type) => type.name)).toEqual([`${PACKAGE}.callCommunicationHitlTool`]);
  });
});
