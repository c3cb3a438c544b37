import { userAccountMap } from '../../backend/test/support/maps';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { botApi } from './support/bot-api';
import { describeWithN8n } from './support/n8n-runtime';
import { startWebhookServer } from './support/webhook-server';

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithN8n('Metabot Trigger activation and delivery in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let webhook: Awaited<ReturnType<typeof startWebhookServer>>;
  let botId: number;
  let token: string;
  let workflow: any;
  const started: any[] = [];
  let api: ReturnType<typeof botApi>;

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
    api = botApi(backend, botId, token);
    webhook = await startWebhookServer(async (req, res) => {
      const result = await engine.webhook(workflow, 'Trigger', req, res as any);
      if (result.workflowData) started.push(result.workflowData[0][0].json);
    });
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token }, { webhookBaseUrl: `${webhook.url}/webhook` });
    workflow = engine.workflow([{ name: 'Trigger', type: 'metabotTrigger', webhookId: 'trigger-hook-1', parameters: { events: ['endpoint.called'], aliases: ['users/*'] } }]);
  }, 120_000);
  afterAll(async () => {
    await webhook?.close();
    await backend?.close();
  });

  const staticData = () => workflow.getStaticData('node', workflow.getNode('Trigger'));

  it('activation registers one subscription for the node webhook, with the events and alias filter', async () => {
    expect(await engine.webhookLifecycle(workflow, 'Trigger', 'checkExists')).toBe(false);
    expect(await engine.webhookLifecycle(workflow, 'Trigger', 'create')).toBe(true);
    expect(staticData()).toEqual({ subscriptionId: expect.stringMatching(/^sub_/), secret: expect.any(String) });
    expect(await engine.webhookLifecycle(workflow, 'Trigger', 'checkExists')).toBe(true);
    const { body } = await api<'listSubscriptions'>('GET', '/subscriptions');
    expect(body.subscriptions).toEqual([
      expect.objectContaining({ id: staticData().subscriptionId, url: engine.webhookUrl(workflow, 'Trigger'), events: ['endpoint.called'], aliases: ['users/*'] }),
    ]);
  });

  it('a CRM call to a matching alias starts the workflow with the params and trace id; other aliases do not', async () => {
    started.length = 0;
    const call = await api<'callEndpoint'>('POST', '/call/users/update', { script_request_params: { userId: 127, role: 'admin' } });
    await api<'callEndpoint'>('POST', '/call/payments/succeeded', { script_request_params: { userId: 127, amount: 5 } });
    const item = await eventually(async () => started[0], 'the endpoint.called delivery');
    expect(item).toMatchObject({ event: 'endpoint.called', alias: 'users/update', params: { userId: 127, role: 'admin' }, trace_id: call.body.trace_id, userId: '127' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(started.map((s) => s.alias)).toEqual(['users/update']);
  });

  it('deactivation deletes the subscription; checkExists notices a subscription removed behind its back', async () => {
    expect(await engine.webhookLifecycle(workflow, 'Trigger', 'delete')).toBe(true);
    expect(staticData()).toEqual({});
    expect((await api<'listSubscriptions'>('GET', '/subscriptions')).body.subscriptions).toEqual([]);
    expect(await engine.webhookLifecycle(workflow, 'Trigger', 'delete')).toBe(true);

    await engine.webhookLifecycle(workflow, 'Trigger', 'create');
    await api<'deleteSubscription'>('DELETE', `/subscriptions/${staticData().subscriptionId}`);
    expect(await engine.webhookLifecycle(workflow, 'Trigger', 'checkExists')).toBe(false);
    expect(staticData()).toEqual({});
  });

  it('responding through Answer Call subscribes as an answering subscriber; changing Respond replaces the subscription', async () => {
    const trigger = workflow.getNode('Trigger');
    await engine.webhookLifecycle(workflow, 'Trigger', 'create');
    const plain = staticData().subscriptionId;
    expect((await api<'getSubscription'>('GET', `/subscriptions/${plain}`)).body.subscription.answers).toBe(false);

    trigger.parameters.responseMode = 'responseNode';
    try {
      expect(await engine.webhookLifecycle(workflow, 'Trigger', 'checkExists')).toBe(false);
      expect(await engine.webhookLifecycle(workflow, 'Trigger', 'create')).toBe(true);
      const { body } = await api<'listSubscriptions'>('GET', '/subscriptions');
      expect(body.subscriptions).toEqual([expect.objectContaining({ id: staticData().subscriptionId, answers: true })]);
      expect(staticData().subscriptionId).not.toBe(plain);
      expect(await engine.webhookLifecycle(workflow, 'Trigger', 'checkExists')).toBe(true);
    } finally {
      trigger.parameters.responseMode = 'onReceived';
      await engine.webhookLifecycle(workflow, 'Trigger', 'delete');
    }
  });
});
