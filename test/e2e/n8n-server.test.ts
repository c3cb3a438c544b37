import { userAccountMap } from '../../backend/test/support/maps';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { n8nInstalled, n8nRuntimeDir } from '../nodes/support/n8n-runtime';
import { N8nInstance, type N8nServer } from './support/n8n-server';
import { crmCallWorkflow, metabotCredential } from './workflows';

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
      workflows: [crmCallWorkflow()],
    });
    n8n = await instance.start();
    await n8n.waitForWebhook('crm-call');
  }, 240_000);

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
});
