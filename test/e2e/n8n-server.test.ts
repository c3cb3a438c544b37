import { userAccountMap } from '../../backend/test/support/maps';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { n8nInstalled, n8nRuntimeDir } from '../nodes/support/n8n-runtime';
import { N8nInstance, type N8nServer } from './support/n8n-server';
import { waitUntil } from './support/n8n-server';
import { crmCallWorkflow, metabotCredential, triggerChainWorkflow } from './workflows';

const run = n8nInstalled() || process.env.METABOT_E2E === '1';
if (!run) console.warn(`SKIPPED end-to-end suite: no n8n at ${n8nRuntimeDir} and METABOT_E2E is not 1 (run scripts/install-n8n.sh).`);

(run ? describe : describe.skip)('a real n8n server with the Metabot package', () => {
  let backend: TestBackend;
  let n8n: N8nServer;
  let botId: number;
  let token: string;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { HOST: '127.0.0.1' } });
    const bot = await backend.createBot({ map: userAccountMap });
    ({ botId, token } = bot);
    const instance = await N8nInstance.create();
    await instance.setup({
      credentials: [metabotCredential(`${backend.url}/api/v1`, bot.botId, bot.token)],
      workflows: [crmCallWorkflow(), triggerChainWorkflow()],
    });
    n8n = await instance.start();
    await n8n.waitForWebhook('crm-call');
    // Activating the Metabot Trigger registers its subscription with the backend.
    await waitUntil(async () => (await api('GET', '/subscriptions')).body.subscriptions?.length === 1, 60_000, 'the trigger subscription');
  }, 240_000);

  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });

  afterAll(async () => {
    await n8n?.stop();
    await backend?.close();
  }, 30_000);

  it('runs Call Communication from a production webhook and the backend records the call', async () => {
    const res = await fetch(n8n.webhookUrl('crm-call'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 77, traceId: 'e2e-crm-77' }),
    });
    const body = (await res.json()) as { event_id: string };
    expect({ status: res.status, body }).toMatchObject({ status: 200, body: { success: true, queued: true, trace_id: 'e2e-crm-77' } });
    const event = await backend.ctx.db('events').where({ id: body.event_id }).first();
    expect(event).toMatchObject({ type: 'endpoint.called', alias: 'users/connect-bot', bot_id: botId });
    expect(JSON.parse(event.payload)).toMatchObject({ params: { userId: 77 }, source_system: 'n8n' });
    const trace = await backend.request('GET', `/api/v1/bots/${botId}/traces/e2e-crm-77`, { token });
    expect(trace.body.hops[0]).toMatchObject({ hop: 'endpoint.called', status: 'accepted', sourceSystem: 'n8n', alias: 'users/connect-bot' });
  });

  it('activation registered exactly one subscription, pointing at the trigger\'s production webhook', async () => {
    const { subscriptions } = (await api('GET', '/subscriptions')).body;
    expect(subscriptions).toEqual([
      expect.objectContaining({ url: n8n.webhookUrl('metabot-trigger-chain/webhook'), events: ['endpoint.called'], aliases: ['users/update'] }),
    ]);
  });

  it('a CRM call fires the Metabot Trigger, whose workflow calls the next endpoint on the same trace', async () => {
    const crm = await api('POST', '/call/users/update', { script_request_params: { userId: 501, role: 'user' } });
    expect(crm.body).toMatchObject({ success: true });
    const traceId = crm.body.trace_id as string;
    const fromN8n = async () => backend.ctx.db('events').where({ type: 'endpoint.called', alias: 'users/connect-bot', trace_id: traceId }).first();
    await waitUntil(async () => (await fromN8n()) !== undefined, 30_000, 'the call made by the n8n workflow');
    expect(JSON.parse((await fromN8n()).payload)).toMatchObject({ params: { userId: 501 }, source_system: 'n8n' });
    const { hops } = (await api('GET', `/traces/${traceId}`)).body;
    expect(hops.map((h: { hop: string; alias?: string }) => `${h.hop}:${h.alias ?? ''}`)).toEqual(
      expect.arrayContaining(['endpoint.called:users/update', 'endpoint.called:users/connect-bot']),
    );
  });
});
