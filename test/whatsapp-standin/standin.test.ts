import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WhatsappStandin } from '.';

/** The stand-in's own rules, over HTTP as the backend sees them. */
describe('WhatsApp Cloud API stand-in', () => {
  let standin: WhatsappStandin;
  let receiver: http.Server;
  const received: Array<{ signature: string | undefined; raw: string }> = [];
  let answerStatus = 200;
  // Earlier tests' numbers still send receipts to the same receiver: each test reads its own number's.
  const of = (phoneNumberId: string) => received.filter((r) => r.raw.includes(`"phone_number_id":"${phoneNumberId}"`));

  beforeAll(async () => {
    standin = await WhatsappStandin.start({ webhookBackoffMs: 5 });
    receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        received.push({ signature: req.headers['x-hub-signature-256'] as string | undefined, raw });
        res.writeHead(answerStatus).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    await standin.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const number = (templates = [{ name: 'hello', language: 'en_US', bodyParameters: 1 }]) => {
    const n = standin.createNumber(templates);
    n.webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    return n;
  };
  const send = async (n: ReturnType<typeof number>, body: Record<string, unknown>, token = n.accessToken) => {
    const response = await fetch(`${standin.apiRoot}/${n.phoneNumberId}/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ messaging_product: 'whatsapp', to: '79181234567', ...body }) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const text = { type: 'text', text: { body: 'hi' } };

  it('checks the bearer token (190) and the 24-hour window (131047); templates go at any time', async () => {
    const n = number();
    expect(await send(n, text, 'EAAwrong')).toMatchObject({ status: 401, body: { error: { code: 190, type: 'OAuthException' } } });
    expect((await send(n, text)).body.error.code).toBe(131047);
    const template = { type: 'template', template: { name: 'hello', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }] } };
    expect((await send(n, template)).body.messages[0].id).toMatch(/^wamid\./);
    expect((await send(n, { ...template, template: { ...template.template, name: 'nope' } })).body.error.code).toBe(132001);
    expect((await send(n, { ...template, template: { ...template.template, components: [] } })).body.error.code).toBe(132000);
    expect((await send(n, { ...template, template: { ...template.template, components: [{ type: 'body', parameters: [{ type: 'text', text: 'a\nb' }] }] } })).body.error.code).toBe(132018);

    await n.user('79181234567').writes('hello');
    expect((await send(n, text)).status).toBe(200);
    standin.advance(24 * 3_600_000 + 1);
    expect((await send(n, text)).body.error.code).toBe(131047);
    standin.advance(-(24 * 3_600_000 + 1));
  });

  it('enforces reply-button and list limits (131009)', async () => {
    const n = number();
    await n.user('79181234567').writes('hello');
    const buttons = (titles: string[]) => ({ type: 'interactive', interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons: titles.map((t, i) => ({ type: 'reply', reply: { id: `b${i}`, title: t } })) } } });
    expect((await send(n, buttons(['a', 'b', 'c', 'd']))).body.error.code).toBe(131009);
    expect((await send(n, buttons(['x'.repeat(21)]))).body.error.code).toBe(131009);
    expect((await send(n, buttons(['x'.repeat(20)]))).status).toBe(200);
    const list = (rows: number) => ({ type: 'interactive', interactive: { type: 'list', body: { text: 'Pick' }, action: { button: 'Choose', sections: [{ rows: Array.from({ length: rows }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` })) }] } } });
    expect((await send(n, list(11))).body.error.code).toBe(131009);
    expect((await send(n, list(10))).status).toBe(200);
  });

  it('limits throughput per number (130429) and messages to one person (131056)', async () => {
    standin.setLimits({ perNumberPerSecond: 2, pairBurst: 100 });
    const n = number();
    for (const to of ['1000001', '1000002', '1000003']) await n.user(to).writes('hi');
    const codes = [];
    for (const to of ['1000001', '1000002', '1000003']) codes.push((await send(n, { ...text, to })).body.error?.code ?? 'ok');
    expect(codes).toEqual(['ok', 'ok', 130429]);
    standin.setLimits({ perNumberPerSecond: 80, pairBurst: 2, pairIntervalMs: 60_000 });
    const pair = [];
    for (let i = 0; i < 3; i++) pair.push((await send(n, { ...text, to: '1000001' })).body.error?.code ?? 'ok');
    expect(pair).toEqual(['ok', 'ok', 131056]);
    standin.setLimits({ pairBurst: 45, pairIntervalMs: 6_000 });
  });

  it('signs every webhook with the app secret and delivers again until a 2xx', async () => {
    const n = number();
    received.length = 0;
    answerStatus = 500;
    const delivery = n.user('79181234567').writes('hello');
    setTimeout(() => (answerStatus = 200), 30);
    expect(await delivery).toMatchObject({ status: 200 });
    expect(of(n.phoneNumberId).length).toBeGreaterThan(1);
    for (const { signature, raw } of of(n.phoneNumberId)) expect(signature).toBe(`sha256=${crypto.createHmac('sha256', n.appSecret).update(raw).digest('hex')}`);
    expect(JSON.parse(of(n.phoneNumberId)[0].raw)).toMatchObject({ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: n.phoneNumberId }, messages: [{ from: '79181234567', type: 'text', text: { body: 'hello' } }] } }] }] });

    received.length = 0;
    const sent = await send(n, text);
    await n.settled();
    expect(of(n.phoneNumberId).map((r) => JSON.parse(r.raw).entry[0].changes[0].value.statuses[0])).toEqual([
      expect.objectContaining({ id: sent.body.messages[0].id, status: 'sent' }),
      expect.objectContaining({ id: sent.body.messages[0].id, status: 'delivered' }),
    ]);
  });
});
