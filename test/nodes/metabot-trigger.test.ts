import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook, SIGNATURE_TOLERANCE_SECONDS } from '../../nodes/shared/signature';
import { firstDelivery, MAX_RECENT_DELIVERIES } from '../../nodes/MetabotTrigger/replays';
import type { SubscriptionState } from '../../nodes/MetabotTrigger/subscription';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { MetabotTrigger } from '../../nodes/MetabotTrigger/MetabotTrigger.node';
import { RESPOND_WITH_NODE } from '../../nodes/MetabotTrigger/properties';
import { describeWithN8n, requireFromN8n } from './support/n8n-runtime';
import { startWebhookServer } from './support/webhook-server';

describe('X-Metabot-Signature verification', () => {
  const secret = 'whsec_test';
  const id = 'dlv_1';
  const body = '{"id":"ev_1","type":"message.received"}';
  const now = 1_800_000_000;

  it('accepts its own signature within the tolerance, on both sides of now', () => {
    for (const t of [now, now - SIGNATURE_TOLERANCE_SECONDS, now + SIGNATURE_TOLERANCE_SECONDS]) {
      expect(verifyWebhook(secret, id, body, signWebhook(secret, id, body, t), now)).toBe(t);
    }
  });

  it('accepts a header listing several v2 signatures when one matches (secret rotation)', () => {
    const good = signWebhook(secret, id, body, now);
    const other = signWebhook('old', id, body, now).split(',')[1];
    expect(verifyWebhook(secret, id, body, `${good},${other}`, now)).toBe(now);
    expect(verifyWebhook(secret, id, body, `t=${now},${other},${good.split(',')[1]}`, now)).toBe(now);
  });

  it.each([
    ['a missing header', undefined, id, body, now, 'malformed'],
    ['a malformed header', 'v2=abc', id, body, now, 'malformed'],
    ['another secret', signWebhook('other', id, body, now), id, body, now, 'mismatch'],
    ['a changed body', signWebhook(secret, id, body, now), id, body.replace('ev_1', 'ev_2'), now, 'mismatch'],
    ['another delivery id', signWebhook(secret, id, body, now), 'dlv_2', body, now, 'mismatch'],
    ['an old timestamp', signWebhook(secret, id, body, now - SIGNATURE_TOLERANCE_SECONDS - 1), id, body, now, 'stale'],
    ['a future timestamp', signWebhook(secret, id, body, now + SIGNATURE_TOLERANCE_SECONDS + 1), id, body, now, 'stale'],
  ])('refuses %s', (_name, header, deliveryId, rawBody, at, reason) => {
    expect(() => verifyWebhook(secret, deliveryId, rawBody, header, at)).toThrow(expect.objectContaining({ name: 'WebhookSignatureError', reason }));
  });

  it('matches the documented format: hex HMAC-SHA256 of "<delivery id>.<t>.<raw body>"', () => {
    const digest = createHmac('sha256', secret).update(`${id}.${now}.${body}`).digest('hex');
    expect(signWebhook(secret, id, body, now)).toBe(`t=${now},v2=${digest}`);
  });
});

describe('recent delivery ids (the replay guard in static data)', () => {
  const now = 1_800_000_000;

  it('is false for an id seen within the tolerance, and keeps the newest timestamp signed for it', () => {
    const state: SubscriptionState = {};
    expect(firstDelivery(state, 'dlv_1', now, now)).toBe(true);
    expect(firstDelivery(state, 'dlv_1', now + 5, now + 5)).toBe(false);
    expect(firstDelivery(state, 'dlv_2', now + 5, now + 5)).toBe(true);
    expect(state.recentDeliveries).toEqual([['dlv_1', now + 5], ['dlv_2', now + 5]]);
    // The retry signed at now + 5 can be replayed until now + 305: its id is still known then.
    expect(firstDelivery(state, 'dlv_1', now + 5, now + 305)).toBe(false);
  });

  it('forgets ids whose newest timestamp is past the tolerance (a replay of them is stale anyway)', () => {
    const state: SubscriptionState = {};
    firstDelivery(state, 'dlv_old', now, now);
    firstDelivery(state, 'dlv_new', now + 200, now + 200);
    firstDelivery(state, 'dlv_last', now + 301, now + 301);
    expect(state.recentDeliveries?.map(([deliveryId]) => deliveryId)).toEqual(['dlv_last', 'dlv_new']);
  });

  it(`keeps at most ${MAX_RECENT_DELIVERIES} ids, the newest`, () => {
    const state: SubscriptionState = {};
    for (let i = 0; i <= MAX_RECENT_DELIVERIES; i++) firstDelivery(state, `dlv_${i}`, now + i / 10, now);
    expect(state.recentDeliveries).toHaveLength(MAX_RECENT_DELIVERIES);
    expect(state.recentDeliveries?.[0][0]).toBe(`dlv_${MAX_RECENT_DELIVERIES}`);
    expect(state.recentDeliveries?.some(([deliveryId]) => deliveryId === 'dlv_0')).toBe(false);
  });
});

describeWithN8n('Metabot Trigger webhook in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let webhook: Awaited<ReturnType<typeof startWebhookServer>>;
  const secret = 'whsec_engine';
  const results: any[] = [];

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    const { botId, token } = await backend.createBot();
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token });
    const workflow = engine.workflow(
      [{ name: 'Trigger', type: 'metabotTrigger', webhookId: 'hook-1', parameters: { events: ['message.received', 'endpoint.called'] } }],
      {},
      { 'node:Trigger': { subscriptionId: 'sub_1', secret } },
    );
    webhook = await startWebhookServer(async (req, res) => results.push(await engine.webhook(workflow, 'Trigger', req, res as any)));
  }, 120_000);
  afterAll(async () => {
    await webhook?.close();
    await backend?.close();
  });

  const event = {
    id: 'ev_42',
    type: 'message.received',
    botId: 1,
    traceId: 'tr_1',
    occurredAt: '2026-11-21T12:00:00.000Z',
    lead: { id: 'ld_1', channel: 'telegram', chatId: '100', profile: { firstName: 'Ann' }, attributes: { tier: 'gold' } },
    userId: '127',
    data: { text: 'hello' },
  };
  const post = (rawBody: string, headers: Record<string, string>) =>
    fetch(`${webhook.url}/webhook`, { method: 'POST', body: rawBody, headers: { 'content-type': 'application/json', ...headers } });

  it('starts the workflow with one flat item for a correctly signed event', async () => {
    results.length = 0;
    const raw = JSON.stringify(event);
    const res = await post(raw, { 'X-Metabot-Signature': signWebhook(secret, 'dl_9', raw, Math.floor(Date.now() / 1000)), 'X-Metabot-Delivery': 'dl_9', 'X-Metabot-Event': 'message.received' });
    expect(res.status).toBe(200);
    const [item] = results[0].workflowData[0];
    expect(item.json).toMatchObject({
      event: 'message.received',
      eventId: 'ev_42',
      deliveryId: 'dl_9',
      trace_id: 'tr_1',
      userId: '127',
      leadId: 'ld_1',
      channel: 'telegram',
      text: 'hello',
      lead: { attributes: { tier: 'gold' } },
    });
  });

  it('answers 401 and starts nothing for a wrong, missing or replayed signature', async () => {
    results.length = 0;
    const raw = JSON.stringify(event);
    const old = Math.floor(Date.now() / 1000) - SIGNATURE_TOLERANCE_SECONDS - 60;
    const signed = (key: string, t: number) => ({ 'X-Metabot-Signature': signWebhook(key, 'dl_10', raw, t), 'X-Metabot-Delivery': 'dl_10' });
    for (const headers of [signed('wrong', Math.floor(Date.now() / 1000)), {}, signed(secret, old)]) {
      const res = await post(raw, headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, message: expect.any(String) });
    }
    expect(results.every((r) => r.noWebhookResponse && !r.workflowData)).toBe(true);
  });

  it('refuses a body changed after signing (signature covers the raw bytes)', async () => {
    const raw = JSON.stringify(event);
    const header = signWebhook(secret, 'dl_11', raw, Math.floor(Date.now() / 1000));
    const res = await post(raw.replace('hello', 'HELLO'), { 'X-Metabot-Signature': header, 'X-Metabot-Delivery': 'dl_11' });
    expect(res.status).toBe(401);
  });

  it('answers a replayed delivery (same id, same signature) 200 and starts no second execution', async () => {
    results.length = 0;
    const raw = JSON.stringify(event);
    const headers = { 'X-Metabot-Signature': signWebhook(secret, 'dl_20', raw, Math.floor(Date.now() / 1000)), 'X-Metabot-Delivery': 'dl_20' };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(raw, headers));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
    expect(await answers[2].json()).toEqual({ success: true, message: 'Delivery already received' });
    expect(results.map((r) => Boolean(r.workflowData))).toEqual([true, false, false]);
  });

  it("answers the backend's retry of a delivery that already started the workflow 200, without a second execution", async () => {
    results.length = 0;
    const raw = JSON.stringify(event);
    const now = Math.floor(Date.now() / 1000);
    for (const t of [now - 10, now]) {
      const res = await post(raw, { 'X-Metabot-Signature': signWebhook(secret, 'dl_21', raw, t), 'X-Metabot-Delivery': 'dl_21' });
      expect(res.status).toBe(200);
    }
    expect(results.map((r) => Boolean(r.workflowData))).toEqual([true, false]);
  });

  it('refuses a captured delivery sent under a delivery id its signature does not cover', async () => {
    results.length = 0;
    const raw = JSON.stringify(event);
    const header = signWebhook(secret, 'dl_22', raw, Math.floor(Date.now() / 1000));
    const others: Array<Record<string, string>> = [{ 'X-Metabot-Delivery': 'dl_22_replayed' }, {}];
    for (const headers of others) {
      const res = await post(raw, { 'X-Metabot-Signature': header, ...headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ success: false, message: 'Signature does not match' });
    }
    expect(results.every((r) => r.noWebhookResponse && !r.workflowData)).toBe(true);
  });

  it('still accepts the deprecated v1 signature of older backends (until 0.2.0), de-duplicated on the delivery id', async () => {
    results.length = 0;
    const raw = JSON.stringify(event);
    const t = Math.floor(Date.now() / 1000);
    const v1 = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;
    for (let i = 0; i < 2; i++) expect((await post(raw, { 'X-Metabot-Signature': v1, 'X-Metabot-Delivery': 'dl_23' })).status).toBe(200);
    expect(results.map((r) => Boolean(r.workflowData))).toEqual([true, false]);
  });
});

describeWithN8n("the trigger's webhook description, read by n8n", () => {
  it('gives n8n the response mode from the Respond parameter without its expression engine', () => {
    const { resolveWebhookDescriptionField, webhookDescriptionIsNativelyResolvable } = requireFromN8n('n8n-workflow');
    const [webhook] = new MetabotTrigger().description.webhooks ?? [];
    expect(webhookDescriptionIsNativelyResolvable(webhook)).toBe(true);
    for (const responseMode of ['onReceived', RESPOND_WITH_NODE]) {
      const node = { parameters: { events: ['endpoint.called'], aliases: ['orders/paid'], responseMode } };
      expect(resolveWebhookDescriptionField(node, webhook, 'responseMode')).toEqual({ resolved: true, value: responseMode });
    }
    // With an expression among the parameters n8n evaluates the template, which reads the same parameter.
    const dynamic = { parameters: { events: ['endpoint.called'], aliases: '={{ ["orders/paid"] }}', responseMode: RESPOND_WITH_NODE } };
    expect(resolveWebhookDescriptionField(dynamic, webhook, 'responseMode').resolved).toBe(false);
    expect(webhook.responseMode).toBe('={{$parameter["responseMode"] || "onReceived"}}');
  });
});
