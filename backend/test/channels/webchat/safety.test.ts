import { updateBotSettings } from '../../../src/bots/bots';
import { dialect, startTestBackend, type TestBackend } from '../../support/test-backend';
import { newVisitor } from '../../support/webchat';

describe(`web chat safety over HTTP (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WEBCHAT_VISITOR_PER_MINUTE: '4', WEBCHAT_MAX_TEXT: '100', SECRET_KEY: 'b'.repeat(64) } });
    ({ botId } = await backend.createBot({ name: 'Shop <b>"bot"</b>' }));
  });
  afterAll(() => backend.close());

  it('serves the page with a strict CSP, the bot name escaped, and the assets and embed script', async () => {
    const page = await backend.request('GET', `/chat/${botId}`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).toContain('Shop &lt;b&gt;&quot;bot&quot;&lt;/b&gt;');
    expect(page.body).not.toContain('<b>');
    expect(page.body).toMatch(/role="log" aria-live="polite"/);

    const script = await backend.request('GET', '/chat/assets/chat.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.body).not.toMatch(/\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write/);
    const embed = await backend.request('GET', `/chat/${botId}/embed.js`);
    expect(embed.status).toBe(200);
    expect(embed.headers.get('content-type')).toMatch(/javascript/);
    expect((await backend.request('GET', '/chat/999999')).status).toBe(404);
    expect((await backend.request('GET', '/chat/assets/../../package.json')).status).toBe(404);
  });

  it('a visitor cannot read another visitor\'s history, nor use a forged or another bot\'s token', async () => {
    const alice = await newVisitor(backend, botId);
    const bob = await newVisitor(backend, botId);
    expect((await alice.send({ kind: 'text', text: 'my secret order 42' })).status).toBe(202);
    const bobsView = await bob.history();
    expect(bobsView.status).toBe(200);
    expect(bobsView.body.messages).toEqual([]);
    expect((await alice.history()).body.messages).toEqual([expect.objectContaining({ direction: 'in', text: 'my secret order 42' })]);

    const forged = `${alice.visitorId}.${bob.token.split('.')[1]}`;
    for (const authorization of [`Bearer ${forged}`, `Bearer ${alice.visitorId}`, 'Bearer nonsense', '']) {
      const res = await backend.request('GET', `/chat/${botId}/api/history`, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, trace_id: expect.any(String) });
    }
    const other = await backend.createBot({ name: 'Other' });
    const crossBot = await backend.request('GET', `/chat/${other.botId}/api/history`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(crossBot.status).toBe(401);
    const stream = await fetch(`${backend.url}/chat/${botId}/api/events`, { headers: { authorization: `Bearer ${forged}` } });
    expect(stream.status).toBe(401);
  });

  it('HEAD on the event stream answers at once instead of holding the connection open (found by the fuzzer)', async () => {
    const visitor = await newVisitor(backend, botId);
    const started = Date.now();
    const head = await fetch(`${backend.url}/chat/${botId}/api/events?(uFZ%3E=.`, { method: 'HEAD', headers: { authorization: `Bearer ${visitor.token}` }, signal: AbortSignal.timeout(5000) });
    expect(head.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses requests from a site that is not on the bot\'s allow-list, and frames only for allowed sites', async () => {
    const visitor = await newVisitor(backend, botId);
    const evil = { origin: 'https://evil.example' };
    expect((await backend.request('POST', `/chat/${botId}/api/visitors`, { headers: evil })).status).toBe(403);
    expect((await visitor.send({ kind: 'text', text: 'hi' }, evil)).status).toBe(403);
    expect((await fetch(`${backend.url}/chat/${botId}/api/events`, { headers: { ...evil, authorization: `Bearer ${visitor.token}` } })).status).toBe(403);
    expect((await visitor.send({ kind: 'text', text: 'same origin' }, { origin: backend.url })).status).toBe(202);

    await updateBotSettings(backend.ctx, botId, { webchat: { allowedOrigins: ['https://shop.example/some/page'] } });
    expect((await visitor.send({ kind: 'text', text: 'from the shop' }, { origin: 'https://shop.example' })).status).toBe(202);
    expect((await visitor.send({ kind: 'text', text: 'still evil' }, evil)).status).toBe(403);
    const page = await backend.request('GET', `/chat/${botId}`);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'self' https://shop.example;");
    await updateBotSettings(backend.ctx, botId, { webchat: { allowedOrigins: [] } });
  });

  it('limits each visitor\'s rate (429 with Retry-After) without touching other visitors', async () => {
    const noisy = await newVisitor(backend, botId);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await noisy.send({ kind: 'text', text: `spam ${i}` })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    const limited = await noisy.send({ kind: 'text', text: 'again' });
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.body).toMatchObject({ success: false, message: expect.any(String) });
    expect((await noisy.history()).body.messages).toHaveLength(4);
    const quiet = await newVisitor(backend, botId);
    expect((await quiet.send({ kind: 'text', text: 'hello' })).status).toBe(202);
  });

  it('refuses a text over the limit (422) and a body over 16 kB (413); a retried POST is stored once', async () => {
    const visitor = await newVisitor(backend, botId);
    const long = await visitor.send({ kind: 'text', text: 'x'.repeat(101) });
    expect(long.status).toBe(422);
    expect(long.body.errors).toEqual([expect.objectContaining({ path: 'text' })]);
    const huge = await visitor.send({ kind: 'text', text: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect((await visitor.send({ kind: 'shout', text: 'hi' })).status).toBe(422);

    const once = { kind: 'text', text: 'sent twice', id: 'retry-0001' };
    const first = await visitor.send(once);
    const second = await visitor.send(once);
    expect(second.body.message.id).toBe(first.body.message.id);
    expect((await visitor.history()).body.messages).toHaveLength(1);
    const received = await backend.ctx.db('events').where({ bot_id: botId, type: 'message.received' }).whereRaw('payload like ?', ['%sent twice%']);
    expect(received).toHaveLength(1);
  });

  it('stores an injection attempt verbatim as data (the page renders it as text) and makes the visitor a lead', async () => {
    const visitor = await newVisitor(backend, botId);
    const attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const sent = await visitor.send({ kind: 'text', text: attack }, { 'accept-language': 'de-DE,de;q=0.9' });
    expect(sent.status).toBe(202);
    expect(sent.headers.get('content-type')).toMatch(/application\/json/);
    expect((await visitor.history()).body.messages[0].text).toBe(attack);
    const lead = await backend.ctx.db('leads').where({ bot_id: botId, channel: 'webchat', chat_id: visitor.visitorId }).first();
    expect(lead).toMatchObject({ language: 'de-DE' });
    const event = await backend.ctx.db('events').where({ bot_id: botId, lead_id: lead.id, type: 'message.received' }).first();
    expect(JSON.parse(event.payload)).toMatchObject({ channel: 'webchat', text: attack });
  });

  it('a tap must match a button the visitor was shown', async () => {
    const visitor = await newVisitor(backend, botId);
    const res = await visitor.send({ kind: 'button', messageId: 1, data: 'pay_1000' });
    expect(res.status).toBe(422);
    expect(await backend.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' })).toHaveLength(0);
  });
});
