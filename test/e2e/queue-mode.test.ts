/**
 * n8n in queue mode with the package: `n8n start` (main: editor, webhooks, trigger activation) and
 * an `n8n worker` that runs the executions, over the machine's Redis (a queue prefix of this run
 * only) and a throwaway PostgreSQL database for n8n, created here and dropped after. What has to
 * keep working when a team scales n8n out: Metabot Trigger activation (the subscription), event
 * delivery (a CRM call runs the workflow on the worker), Send and Wait (the execution waits,
 * the backend's resume call reaches main, and a worker continues it), and the answer decided by the
 * workflow (main holds the backend's delivery while the worker runs Answer Call, and relays it).
 */
import crypto from 'node:crypto';
import { createPostgresDatabase } from '../../backend/test/support/test-backend';
import type { Child } from '../../scripts/first-run/processes';
import { describeWithN8n } from '../nodes/support/n8n-runtime';
import { N8nInstance, type N8nServer, waitUntil } from './support/n8n-server';
import { queueModeEnv, removeQueueKeys } from './support/queue-mode';
import { openShop, type Shop } from './support/shop';
import { answerCallWorkflow, answeringEndpoint, metabotCredential, thankYouWorkflow, triggerChainWorkflow } from './workflows';

jest.setTimeout(90_000);

const POSTGRES_ADMIN_URL = process.env.METABOT_N8N_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

/** Executions the worker ran to the end, by id, from its log. */
const finishedOnWorker = (worker: Child) => [...worker.output().matchAll(/Worker finished execution (\d+)/g)].map((match) => match[1]);

describeWithN8n('n8n in queue mode (main + worker, Redis, PostgreSQL) with the Metabot package', () => {
  const bullPrefix = `metabot-e2e-${crypto.randomBytes(4).toString('hex')}`;
  let n8nDatabase: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let shop: Shop;
  let main: N8nServer;
  let worker: Child;
  let api: Shop['api'];

  beforeAll(async () => {
    n8nDatabase = await createPostgresDatabase(POSTGRES_ADMIN_URL);
    shop = await openShop(7101, [answeringEndpoint('post/new')]);
    api = shop.api;
    const { backend, botId, token, crm } = shop;
    const instance = await N8nInstance.create(queueModeEnv(n8nDatabase.url, bullPrefix));
    await instance.setup({
      credentials: [metabotCredential(`${backend.url}/api/v1`, botId, token)],
      workflows: [triggerChainWorkflow(), thankYouWorkflow(crm.url), answerCallWorkflow()],
    });
    // Each handle is kept as soon as it exists, so afterAll stops it even when the other failed to start.
    await Promise.all([instance.start().then((started) => (main = started)), instance.startWorker().then((started) => (worker = started))]);
  }, 600_000);

  afterAll(async () => {
    await worker?.stop();
    await main?.stop();
    await shop?.close();
    await n8nDatabase?.drop();
    await removeQueueKeys(bullPrefix);
  }, 60_000);

  it('main activates the Metabot Triggers: one subscription each, at main\'s production webhook', async () => {
    await waitUntil(async () => (await api('GET', '/subscriptions')).body.subscriptions?.length === 3, 60_000, 'the trigger subscriptions');
    const { subscriptions } = (await api('GET', '/subscriptions')).body;
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ url: main.webhookUrl('metabot-trigger-chain/webhook'), aliases: ['users/update'] }),
        expect.objectContaining({ url: main.webhookUrl('metabot-order-thank-you/webhook'), aliases: ['order/thank-you'] }),
        expect.objectContaining({ url: main.webhookUrl('answer-call-trigger/webhook'), aliases: ['post/new'], answers: true }),
      ]),
    );
  });

  it('delivers an event: the CRM call reaches main, the worker runs the workflow, which calls the next endpoint', async () => {
    const before = finishedOnWorker(worker).length;
    const crmCall = await api('POST', '/call/users/update', { script_request_params: { userId: 601, role: 'user' } });
    expect(crmCall.body).toMatchObject({ success: true });
    const traceId = crmCall.body.trace_id as string;
    const fromN8n = async () => shop.backend.ctx.db('events').where({ type: 'endpoint.called', alias: 'users/connect-bot', trace_id: traceId }).first();
    await waitUntil(async () => (await fromN8n()) !== undefined, 60_000, 'the call made by the workflow');
    expect(JSON.parse((await fromN8n()).payload)).toMatchObject({ params: { userId: 601 }, source_system: 'n8n' });
    await waitUntil(async () => finishedOnWorker(worker).length > before, 30_000, 'the worker to log the finished execution');
    const { hops } = (await api('GET', `/traces/${traceId}`)).body;
    expect(hops.map((h: { hop: string; status: string }) => `${h.hop}:${h.status}`)).toEqual(expect.arrayContaining(['endpoint.called:accepted', 'workflow.delivered:delivered']));
  });

  it('Send and Wait: the worker parks the execution, the tap resumes it through main, and a worker finishes it', async () => {
    shop.crm.received.length = 0;
    const crmCall = await api('POST', '/call/order/thank-you', { script_request_params: { userId: shop.customer.userId, orderId: 'Q-7' } });
    expect(crmCall.body).toMatchObject({ success: true });
    const traceId = crmCall.body.trace_id as string;
    await waitUntil(async () => shop.telegram.messagesTo(shop.customer.chatId).some((m) => m.text?.includes('Q-7')), 60_000, 'the question in Telegram');
    const stored = await shop.backend.ctx.db('messages').where({ bot_id: shop.botId }).whereNotNull('wait').orderBy('created_at', 'desc').first();
    const { resumeUrl } = JSON.parse(stored.wait) as { resumeUrl: string };
    expect(resumeUrl.startsWith(`${main.url}/webhook-waiting/`)).toBe(true);
    const executionId = /webhook-waiting\/(\d+)/.exec(resumeUrl)![1];
    await waitUntil(async () => (await shop.backend.ctx.db('message_waits').where({ lead_id: shop.customer.leadId }).first()) !== undefined, 30_000, 'the wait to be registered');

    shop.telegram.tapButton(shop.customer.chatId, 'rate:5');
    await waitUntil(async () => shop.crm.received.length === 1, 60_000, 'the CRM callback after the tap');
    expect(shop.crm.received[0].body).toEqual({ userId: shop.customer.userId, status: 'answered', rating: 'rate:5', trace: traceId });
    // The same execution ran twice on the worker: up to the wait, then from the resume to the end.
    await waitUntil(async () => finishedOnWorker(worker).filter((id) => id === executionId).length === 2, 30_000, `execution ${executionId} finished twice on the worker`);
    expect(main.logs()).not.toMatch(/Unrecognized node type/);
    const { hops } = (await api('GET', `/traces/${traceId}`)).body;
    expect(hops.map((h: { hop: string; status: string }) => `${h.hop}:${h.status}`)).toEqual(
      expect.arrayContaining(['endpoint.called:accepted', 'workflow.delivered:delivered', 'message.sent:sent', 'wait.answered:answered', 'wait.resumed:delivered']),
    );
  });

  it('the workflow decides the answer: the worker runs Answer Call, main relays it, the CRM gets it', async () => {
    const before = finishedOnWorker(worker).length;
    const found = await api('POST', '/call/post/new', { script_request_params: { postId: 42 } });
    expect(found.body).toEqual({ success: true, message: 'Found', title: 'Summer at the lake', answered_by: 'workflow', event_id: expect.any(Number), trace_id: expect.any(String) });
    const missing = await api('POST', '/call/post/new', { script_request_params: { postId: 7 } });
    expect(missing.body).toEqual({ success: false, message: 'Пост не найден', answered_by: 'workflow', event_id: expect.any(Number), trace_id: expect.any(String) });
    await waitUntil(async () => finishedOnWorker(worker).length >= before + 2, 30_000, 'the worker to log both executions');
    const { hops } = (await api('GET', `/traces/${found.body.trace_id}`)).body;
    expect(hops.find((h: { hop: string }) => h.hop === 'endpoint.answered')).toMatchObject({ status: 'answered', latencyMs: expect.any(Number) });
  });

  it('a retry with the same Idempotency-Key gets the workflow\'s answer again, without a second execution', async () => {
    const headers = { 'Idempotency-Key': 'queue-mode-post-42' };
    const call = () => shop.backend.request('POST', `/api/v1/bots/${shop.botId}/call/post/new`, { token: shop.token, body: { script_request_params: { postId: 42 } }, headers });
    const before = finishedOnWorker(worker).length;
    const first = await call();
    expect(first.body).toMatchObject({ success: true, message: 'Found', answered_by: 'workflow' });
    // Answer Call responds mid-execution: the worker logs the end of the execution a little later.
    await waitUntil(async () => finishedOnWorker(worker).length === before + 1, 30_000, 'the worker to finish the execution');
    await waitUntil(async () => (await shop.backend.ctx.db('event_deliveries').where({ event_id: first.body.event_id, status: 'delivered' })).length === 1, 30_000, 'the delivery to be recorded');
    const again = await call();
    expect(again.body).toEqual(first.body);
    expect(await shop.backend.ctx.db('event_deliveries').where({ event_id: first.body.event_id })).toHaveLength(1);
    expect(await shop.backend.ctx.db('events').where({ type: 'endpoint.called', alias: 'post/new', trace_id: first.body.trace_id })).toHaveLength(1);
    expect(finishedOnWorker(worker)).toHaveLength(before + 1);
  });
});
