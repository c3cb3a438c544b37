import { createToken } from '../../src/bots/tokens';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/** An Idempotency-Key belongs to one token on one endpoint (docs/security.md, "Idempotency keys"). */
describe(`Idempotency-Key scope (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let crm: string;
  let shop: string;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token: crm } = await backend.createBot({ map: userAccountMap }));
    shop = (await createToken(backend.ctx, { botId })).token;
  });
  afterAll(() => backend.close());

  const headers = (key: string) => ({ 'Idempotency-Key': key });
  const pay = (token: string, key: string, amount: number) =>
    backend.request('POST', `/api/v1/bots/${botId}/call/payments/succeeded`, { token, headers: headers(key), body: { script_request_params: { userId: 1, amount } } });
  const send = (token: string, key: string) =>
    backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, headers: headers(key), body: { userIds: ['nobody'], text: 'hi' } });

  it('accepts two tokens of one bot using the same key on different calls', async () => {
    const first = await pay(crm, 'order-7', 5);
    const second = await pay(shop, 'order-7', 9);
    expect([first.status, first.body.queued, second.status, second.body.queued]).toEqual([200, true, 200, true]);
    expect(second.body.event_id).not.toBe(first.body.event_id);
  });

  it('keeps the call and the messages endpoint apart for one token', async () => {
    const called = await pay(crm, 'both-1', 5);
    const sent = await send(crm, 'both-1');
    expect([called.status, called.body.queued]).toEqual([200, true]);
    expect([sent.status, sent.body.message]).toEqual([200, 'User not found']);
  });

  it('still replays, or refuses another body, for the same token, endpoint and key', async () => {
    const first = await pay(shop, 'again-1', 5);
    expect((await pay(shop, 'again-1', 5)).body).toEqual(first.body);
    expect((await pay(shop, 'again-1', 6)).status).toBe(409);
    const sent = await send(shop, 'again-2');
    expect((await send(shop, 'again-2')).body).toEqual(sent.body);
  });
});
