import { SCOPES } from '../../src/bots/scopes';
import { createToken } from '../../src/bots/tokens';
import { fanOutEvents } from '../../src/events/fanout';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/** A token with alias globs is an integration's key, not an administrator's (docs/security.md, "Least privilege for tokens"). */
describe(`tokens limited to alias globs (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let admin: string;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token: admin } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(() => backend.close());

  const mint = async (aliases?: string[], scopes?: Array<(typeof SCOPES)[number]>) => createToken(backend.ctx, { botId, aliases, scopes });
  const call = (token: string, alias: string, params: object) =>
    backend.request('POST', `/api/v1/bots/${botId}/call/${alias}`, { token, body: { script_request_params: params } });

  it('get only the call scope unless scopes are given; a token for every alias gets every scope', async () => {
    const payments = await mint(['payments/*']);
    expect(payments.info.scopes).toEqual(['call']);
    expect((await mint(['payments/*'], ['call', 'traces'])).info.scopes).toEqual(['call', 'traces']);
    expect((await mint()).info.scopes).toEqual([...SCOPES]);
    expect((await backend.request('GET', `/api/v1/bots/${botId}/subscriptions`, { token: payments.token })).status).toBe(403);
    expect((await backend.request('PUT', `/api/v1/bots/${botId}/telegram`, { token: payments.token, body: { token: '1:x' } })).status).toBe(403);
    expect((await call(payments.token, 'payments/succeeded', { userId: 1, amount: 5 })).body.success).toBe(true);
  });

  it('subscribe to endpoint.called of their own aliases only', async () => {
    const { token } = await mint(['payments/*'], ['call', 'subscriptions']);
    const subscribe = (body: object) => backend.request('POST', `/api/v1/bots/${botId}/subscriptions`, { token, body: { url: 'https://n8n.example/hook', ...body } });
    expect((await subscribe({ events: ['message.received'] })).status).toBe(403);
    expect((await subscribe({ events: ['*'] })).status).toBe(403);
    expect((await subscribe({ events: ['endpoint.called'], aliases: ['users/*'] })).status).toBe(403);
    expect((await subscribe({ events: ['endpoint.called'], aliases: ['**'] })).status).toBe(403);
    const own = await subscribe({ events: ['endpoint.called'] });
    expect([own.status, own.body.subscription.aliases]).toEqual([201, ['payments/*']]);
    const one = await subscribe({ events: ['endpoint.called'], aliases: ['payments/succeeded'] });
    expect([one.status, one.body.subscription.aliases]).toEqual([201, ['payments/succeeded']]);
  });

  it("see, read and delete only subscriptions they could have made, and only those subscriptions' deliveries", async () => {
    const { token } = await mint(['orders/*'], ['call', 'subscriptions']);
    const as = (who: string, method: string, path: string, body?: object) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token: who, body });
    const crm = (await as(admin, 'POST', '/subscriptions', { url: 'https://n8n.example/crm', events: ['message.received', 'endpoint.called'] })).body.subscription.id as string;
    const wide = (await as(admin, 'POST', '/subscriptions', { url: 'https://n8n.example/wide', events: ['endpoint.called'], aliases: ['orders/*', 'users/*'] })).body.subscription.id as string;
    const own = (await as(token, 'POST', '/subscriptions', { url: 'https://n8n.example/orders', events: ['endpoint.called'] })).body.subscription.id as string;

    expect((await as(token, 'GET', '/subscriptions')).body.subscriptions.map((s: { id: string }) => s.id)).toEqual([own]);
    for (const other of [crm, wide]) {
      expect((await as(token, 'GET', `/subscriptions/${other}`)).status).toBe(404);
      expect((await as(token, 'DELETE', `/subscriptions/${other}`)).status).toBe(404);
      expect((await as(admin, 'GET', `/subscriptions/${other}`)).status).toBe(200);
    }
    expect((await call(admin, 'users/connect-bot', { userId: 1 })).body.success).toBe(true);
    while ((await fanOutEvents(backend.ctx)) > 0);
    const [crmDelivery] = (await as(admin, 'GET', `/events/deliveries?subscriptionId=${crm}`)).body.deliveries as Array<{ id: string }>;
    expect(crmDelivery).toBeDefined();
    expect((await as(token, 'GET', '/events/deliveries')).body.deliveries).toEqual([]);
    expect((await as(token, 'GET', `/events/deliveries/${crmDelivery.id}`)).status).toBe(404);
    expect((await as(token, 'POST', `/events/deliveries/${crmDelivery.id}/redeliver`)).status).toBe(404);
    expect((await as(admin, 'GET', `/events/deliveries/${crmDelivery.id}`)).body.delivery).toMatchObject({ subscriptionId: crm, status: 'pending' });
    expect((await as(token, 'DELETE', `/subscriptions/${own}`)).status).toBe(200);
  });

  it('read only the traces of calls to their aliases; other traces are not found', async () => {
    const { token } = await mint(['payments/*'], ['call', 'traces']);
    const trace = (id: string) => backend.request('GET', `/api/v1/bots/${botId}/traces/${id}`, { token });
    const payment = (await call(admin, 'payments/succeeded', { userId: 1, amount: 5 })).body.trace_id;
    const user = (await call(admin, 'users/connect-bot', { userId: 1 })).body.trace_id;
    const message = (await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token: admin, body: { userIds: ['nobody'], text: 'hi' } })).body.trace_id;
    expect((await trace(payment)).status).toBe(200);
    expect((await trace(user)).status).toBe(404);
    expect((await trace(message)).status).toBe(404);
    expect((await backend.request('GET', `/api/v1/bots/${botId}/traces/${user}`, { token: admin })).status).toBe(200);
  });

  it("see only their aliases in the bot's OpenAPI document", async () => {
    const { token } = await mint(['payments/*']);
    const doc = await backend.request('GET', `/docs/${botId}/openapi.json`, { token });
    expect(Object.keys(doc.body.paths)).toEqual([`/api/v1/bots/${botId}/call/payments/succeeded`]);
  });
});
