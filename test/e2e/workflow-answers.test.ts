/**
 * Answers decided by the workflow in a real n8n: a Metabot Trigger set to respond "Using 'Answer
 * Call' Operation" subscribes as an answering subscriber; n8n holds the backend's delivery until
 * Call Communication → Answer Call, and the CRM's call gets that answer.
 */
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from '../nodes/support/n8n-runtime';
import { N8nInstance, type N8nServer, waitUntil } from './support/n8n-server';
import { answerCallWorkflow, answeringEndpoint, answeringTrigger, metabotCredential } from './workflows';

jest.setTimeout(90_000);

const map = { name: 'Answers', endpoints: [answeringEndpoint('post/new'), answeringEndpoint('post/v1'), answeringEndpoint('post/v15')] };

/** n8n's own Respond to Webhook after the Metabot Trigger, at a given node version. */
function respondToWebhookWorkflow(id: string, alias: string, typeVersion: number) {
  return {
    id,
    name: `${alias} answers with Respond to Webhook ${typeVersion}`,
    active: true,
    settings: { executionOrder: 'v1' },
    connections: { 'Metabot Trigger': { main: [[{ node: 'Respond to Webhook', type: 'main', index: 0 }]] } },
    nodes: [
      answeringTrigger(alias, `respond-${typeVersion}`.replace('.', '-')),
      {
        id: `${id}-r`,
        name: 'Respond to Webhook',
        type: 'n8n-nodes-base.respondToWebhook',
        typeVersion,
        position: [200, 0],
        parameters: { respondWith: 'json', responseBody: '={{ JSON.stringify({ success: true, message: "post " + $json.params.postId }) }}', options: {} },
      },
    ],
  };
}

describeWithN8n('answers decided by the workflow, in a real n8n', () => {
  let backend: TestBackend;
  let n8n: N8nServer;
  let botId: number;
  let token: string;
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body, headers });
  const call = (alias: string, postId: number, headers: Record<string, string> = {}) => api('POST', `/call/${alias}`, { script_request_params: { postId } }, headers);

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map }));
    const instance = await N8nInstance.create();
    await instance.setup({
      credentials: [metabotCredential(`${backend.url}/api/v1`, botId, token)],
      workflows: [answerCallWorkflow(), respondToWebhookWorkflow('wfRespondV1xxxx1', 'post/v1', 1), respondToWebhookWorkflow('wfRespondV15xxx1', 'post/v15', 1.5)],
    });
    n8n = await instance.start();
    await waitUntil(async () => (await api('GET', '/subscriptions')).body.subscriptions?.length === 3, 60_000, 'three answering subscriptions');
  }, 240_000);

  afterAll(async () => {
    await n8n?.stop();
    await backend?.close();
  }, 30_000);

  it('a trigger that responds with Answer Call subscribes as an answering subscriber', async () => {
    const { subscriptions } = (await api('GET', '/subscriptions')).body;
    expect(subscriptions.map((s: { answers: boolean }) => s.answers)).toEqual([true, true, true]);
  });

  it('the CRM gets the answer of Answer Call: found, or "Пост не найден", with event and trace ids', async () => {
    const found = await call('post/new', 42, { 'X-Trace-Id': 'e2e-answer-42' });
    expect(found.body).toEqual({ success: true, message: 'Found', title: 'Summer at the lake', answered_by: 'workflow', event_id: expect.any(Number), trace_id: 'e2e-answer-42' });
    const missing = await call('post/new', 7);
    expect(missing.body).toEqual({ success: false, message: 'Пост не найден', answered_by: 'workflow', event_id: expect.any(Number), trace_id: expect.any(String) });
    const { hops } = (await api('GET', '/traces/e2e-answer-42')).body;
    expect(hops.find((h: { hop: string }) => h.hop === 'endpoint.answered')).toMatchObject({ status: 'answered', latencyMs: expect.any(Number) });
  });

  it('a retry with the same Idempotency-Key gets the same answer without a second execution', async () => {
    const headers = { 'Idempotency-Key': 'e2e-post-42' };
    const first = await call('post/new', 42, headers);
    const again = await call('post/new', 42, headers);
    expect(again.body).toEqual(first.body);
    expect(await backend.ctx.db('event_deliveries').where({ event_id: first.body.event_id })).toHaveLength(1);
  });

  it('n8n\'s Respond to Webhook answers at version 1, and refuses the Metabot Trigger from version 1.1 on (the call gets its fallback)', async () => {
    expect((await call('post/v1', 5)).body).toMatchObject({ success: true, message: 'post 5', answered_by: 'workflow' });
    const refused = await call('post/v15', 5, { 'X-Trace-Id': 'e2e-answer-v15' });
    expect(refused.body).toMatchObject({ success: true, message: 'Accepted', answered_by: 'fallback' });
    const { hops } = (await api('GET', '/traces/e2e-answer-v15')).body;
    expect(hops.find((h: { hop: string }) => h.hop === 'endpoint.answered')).toMatchObject({ status: 'fallback', detail: expect.objectContaining({ reason: 'HTTP 500' }) });
  });
});
