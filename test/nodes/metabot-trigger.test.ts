import { signWebhook, verifyWebhook, SIGNATURE_TOLERANCE_SECONDS } from '../../nodes/shared/signature';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';
import { startWebhookServer } from './support/webhook-server';

describe('X-Metabot-Signature verification', () => {
  const secret = 'whsec_test';
  const body = '{"id":"ev_1","type":"message.received"}';
  const now = 1_800_000_000;

  it('accepts its own signature within the tolerance, on both sides of now', () => {
    for (const t of [now, now - SIGNATURE_TOLERANCE_SECONDS, now + SIGNATURE_TOLERANCE_SECONDS]) {
      expect(verifyWebhook(secret, body, signWebhook(secret, body, t), now)).toBe(t);
    }
  });

  it('accepts a header listing several v1 signatures when one matches (secret rotation)', () => {
    const good = signWebhook(secret, body, now);
    const other = signWebhook('old', body, now).split(',')[1];
    expect(verifyWebhook(secret, body, `${good},${other}`, now)).toBe(now);
    expect(verifyWebhook(secret, body, `t=${now},${other},${good.split(',')[1]}`, now)).toBe(now);
  });

  it.each([
    ['a missing header', undefined, body, now, 'malformed'],
    ['a malformed header', 'v1=abc', body, now, 'malformed'],
    ['another secret', signWebhook('other', body, now), body, now, 'mismatch'],
    ['a changed body', signWebhook(secret, body, now), body.replace('ev_1', 'ev_2'), now, 'mismatch'],
    ['an old timestamp', signWebhook(secret, body, now - SIGNATURE_TOLERANCE_SECONDS - 1), body, now, 'stale'],
    ['a future timestamp', signWebhook(secret, body, now + SIGNATURE_TOLERANCE_SECONDS + 1), body, now, 'stale'],
  ])('refuses %s', (_name, header, rawBody, at, reason) => {
    expect(() => verifyWebhook(secret, rawBody, header, at)).toThrow(expect.objectContaining({ name: 'WebhookSignatureError', reason }));
  });

  it('matches the documented format: hex HMAC-SHA256 of "<t>.<raw body>"', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const digest = require('node:crypto').createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signWebhook(secret, body, now)).toBe(`t=${now},v1=${digest}`);
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
    const res = await post(raw, { 'X-Metabot-Signature': signWebhook(secret, raw, Math.floor(Date.now() / 1000)), 'X-Metabot-Delivery': 'dl_9', 'X-Metabot-Event': 'message.received' });
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
    for (const headers of [{ 'X-Metabot-Signature': signWebhook('wrong', raw, Math.floor(Date.now() / 1000)) }, {}, { 'X-Metabot-Signature': signWebhook(secret, raw, old) }]) {
      const res = await post(raw, headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, message: expect.any(String) });
    }
    expect(results.every((r) => r.noWebhookResponse && !r.workflowData)).toBe(true);
  });

  it('refuses a body changed after signing (signature covers the raw bytes)', async () => {
    const raw = JSON.stringify(event);
    const header = signWebhook(secret, raw, Math.floor(Date.now() / 1000));
    const res = await post(raw.replace('hello', 'HELLO'), { 'X-Metabot-Signature': header });
    expect(res.status).toBe(401);
  });
});
