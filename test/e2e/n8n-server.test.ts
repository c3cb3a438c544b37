import { describeWithN8n } from '../nodes/support/n8n-runtime';
import { N8nInstance, type N8nServer, waitUntil } from './support/n8n-server';
import { openShop, type Shop } from './support/shop';
import { askFromWebhookWorkflow, crmCallWorkflow, metabotCredential, thankYouWorkflow, triggerChainWorkflow } from './workflows';

jest.setTimeout(90_000);

describeWithN8n('a real n8n server with the Metabot package', () => {
  let shop: Shop;
  let n8n: N8nServer;
  let api: Shop['api'];

  beforeAll(async () => {
    shop = await openShop(7001);
    api = shop.api;
    const { backend, botId, token, crm } = shop;
    const instance = await N8nInstance.create();
    await instance.setup({
      credentials: [metabotCredential(`${backend.url}/api/v1`, botId, token)],
      workflows: [crmCallWorkflow(), askFromWebhookWorkflow(crm.url), triggerChainWorkflow(), thankYouWorkflow(crm.url)],
    });
    n8n = await instance.start();
    await n8n.waitForWebhook('crm-call');
    await n8n.waitForWebhook('crm-ask');
    // Activating the two Metabot Triggers registers their subscriptions with the backend.
    await waitUntil(async () => (await api('GET', '/subscriptions')).body.subscriptions?.length === 2, 60_000, 'the trigger subscriptions');
  }, 240_000);

  afterAll(async () => {
    await n8n?.stop();
    await shop?.close();
  }, 30_000);

  it('runs Call Communication from a production webhook and the backend records the call', async () => {
    const res = await fetch(n8n.webhookUrl('crm-call'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 77, traceId: 'e2e-crm-77' }),
    });
    const body = (await res.json()) as { event_id: string };
    expect({ status: res.status, body }).toMatchObject({ status: 200, body: { success: true, queued: true, trace_id: 'e2e-crm-77' } });
    const event = await shop.backend.ctx.db('events').where({ id: body.event_id }).first();
    expect(event).toMatchObject({ type: 'endpoint.called', alias: 'users/connect-bot', bot_id: shop.botId });
    expect(JSON.parse(event.payload)).toMatchObject({ params: { userId: 77 }, source_system: 'n8n' });
    const trace = await api('GET', '/traces/e2e-crm-77');
    expect(trace.body.hops[0]).toMatchObject({ hop: 'endpoint.called', status: 'accepted', sourceSystem: 'n8n', alias: 'users/connect-bot' });
  });

  it('Send and Wait parks the execution; a POST to its resume URL (what the backend does) continues it', async () => {
    shop.crm.received.length = 0;
    const started = await fetch(n8n.webhookUrl('crm-ask'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: shop.customer.userId, params: { orderId: 'A-7' } }),
    });
    expect(started.status).toBe(200);
    await waitUntil(async () => shop.telegram.messagesTo(shop.customer.chatId).some((m) => m.text?.includes('A-7')), 30_000, 'the question in Telegram');
    const question = shop.telegram.messagesTo(shop.customer.chatId).find((m) => m.text?.includes('A-7'))!;
    expect(question.text).toBe('Thank you for order A-7, Name7001! How was it?');
    expect(question.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Great', callback_data: 'rate:5' }, { text: 'Bad', callback_data: 'rate:1' }]] });

    const stored = await shop.backend.ctx.db('messages').where({ bot_id: shop.botId }).whereNotNull('wait').orderBy('created_at', 'desc').first();
    const wait = JSON.parse(stored.wait);
    expect(wait).toMatchObject({ mode: 'buttons', timeoutSeconds: 600, resumeUrl: expect.stringMatching(new RegExp(`^${n8n.url}/webhook-waiting/\\d+\\?signature=`)) });
    expect(shop.crm.received).toEqual([]);

    const forged = await fetch(wait.resumeUrl.replace(/signature=[^&]+/, 'signature=forged'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(forged.status).toBe(401);
    const resume = { status: 'answered', answer: { buttonData: 'rate:1' }, leadId: shop.customer.leadId, userId: shop.customer.userId, messageId: stored.id, traceId: 'tr-resume' };
    const resumed = await fetch(wait.resumeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(resume) });
    expect(resumed.status).toBe(200);
    await waitUntil(async () => shop.crm.received.length === 1, 30_000, 'the CRM callback');
    expect(shop.crm.received[0]).toEqual({ path: '/rating', body: { userId: shop.customer.userId, status: 'answered', rating: 'rate:1', trace: 'tr-resume' } });
  });

  it('activation registered one subscription per Metabot Trigger, pointing at its production webhook', async () => {
    const { subscriptions } = (await api('GET', '/subscriptions')).body;
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ url: n8n.webhookUrl('metabot-trigger-chain/webhook'), events: ['endpoint.called'], aliases: ['users/update'] }),
        expect.objectContaining({ url: n8n.webhookUrl('metabot-order-thank-you/webhook'), events: ['endpoint.called'], aliases: ['order/thank-you'] }),
      ]),
    );
  });

  it('a CRM call fires the Metabot Trigger, whose workflow calls the next endpoint on the same trace', async () => {
    const crmCall = await api('POST', '/call/users/update', { script_request_params: { userId: 501, role: 'user' } });
    expect(crmCall.body).toMatchObject({ success: true });
    const traceId = crmCall.body.trace_id as string;
    const fromN8n = async () => shop.backend.ctx.db('events').where({ type: 'endpoint.called', alias: 'users/connect-bot', trace_id: traceId }).first();
    await waitUntil(async () => (await fromN8n()) !== undefined, 30_000, 'the call made by the n8n workflow');
    expect(JSON.parse((await fromN8n()).payload)).toMatchObject({ params: { userId: 501 }, source_system: 'n8n' });
    const { hops } = (await api('GET', `/traces/${traceId}`)).body;
    expect(hops.map((h: { hop: string; alias?: string }) => `${h.hop}:${h.alias ?? ''}`)).toEqual(
      expect.arrayContaining(['endpoint.called:users/update', 'endpoint.called:users/connect-bot']),
    );
  });

  it('order/thank-you: trigger → question with buttons in Telegram → tap → execution resumes → CRM gets the rating', async () => {
    shop.crm.received.length = 0;
    const crmCall = await api('POST', '/call/order/thank-you', { script_request_params: { userId: shop.customer.userId, orderId: 'B-42' } });
    expect(crmCall.body).toMatchObject({ success: true });
    const traceId = crmCall.body.trace_id as string;
    await waitUntil(async () => shop.telegram.messagesTo(shop.customer.chatId).some((m) => m.text?.includes('B-42')), 30_000, 'the question in Telegram');
    shop.telegram.tapButton(shop.customer.chatId, 'rate:5');
    await waitUntil(async () => shop.crm.received.length === 1, 30_000, 'the CRM callback after the tap').catch(async (error: Error) => {
      // What the backend knows of the resume, so that a failure under load says where the loop stopped.
      const resumes = await shop.backend.ctx.db('wait_resumes').select('status', 'attempts', 'last_status_code', 'last_error');
      const hops = (await api('GET', `/traces/${traceId}`)).body.hops?.map((h: { hop: string; status: string }) => `${h.hop}:${h.status}`);
      throw new Error(`${error.message}; resumes ${JSON.stringify(resumes)}; trace ${JSON.stringify(hops)}`);
    });
    expect(shop.crm.received[0].body).toEqual({ userId: shop.customer.userId, status: 'answered', rating: 'rate:5', trace: traceId });
    // The trace shows every hop: the CRM call, the delivery to n8n, the message, the answer, the resume.
    const { hops } = (await api('GET', `/traces/${traceId}`)).body;
    const path = hops.map((h: { hop: string; status: string }) => `${h.hop}:${h.status}`);
    expect(path).toEqual(
      expect.arrayContaining(['endpoint.called:accepted', 'workflow.delivered:delivered', 'message.queued:queued', 'message.sent:sent', 'wait.answered:answered', 'wait.resumed:delivered']),
    );
    expect(path[0]).toBe('endpoint.called:accepted');
  });
});
