import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`subscriptions API (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const api = (method: string, path: string, body?: unknown, as = token) =>
    backend.request(method, `/api/v1/bots/${botId}${path}`, { token: as, body });

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  it('creates a subscription and shows its secret only then', async () => {
    const created = await api('POST', '/subscriptions', { url: 'https://n8n.example.com/webhook/abc', events: ['message.received', 'endpoint.called'], aliases: ['payments/*'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      success: true,
      subscription: { id: expect.stringMatching(/^sub_/), url: 'https://n8n.example.com/webhook/abc', events: ['message.received', 'endpoint.called'], aliases: ['payments/*'], secret: expect.stringMatching(/^whsec_/), createdAt: expect.any(String) },
      trace_id: expect.any(String),
    });
    const { id } = created.body.subscription;

    const one = await api('GET', `/subscriptions/${id}`);
    expect(one.body.subscription).toEqual({ id, url: 'https://n8n.example.com/webhook/abc', events: ['message.received', 'endpoint.called'], aliases: ['payments/*'], answers: false, createdAt: created.body.subscription.createdAt });
    const list = await api('GET', '/subscriptions');
    expect(list.body.subscriptions.map((s: { id: string }) => s.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.subscription.secret);
  });

  it('keeps many subscriptions per bot, each with its own secret', async () => {
    const a = await api('POST', '/subscriptions', { url: 'http://127.0.0.1:5678/webhook/a', events: ['*'] });
    const b = await api('POST', '/subscriptions', { url: 'http://127.0.0.1:5678/webhook/b', events: ['*'] });
    expect(a.body.subscription.secret).not.toBe(b.body.subscription.secret);
    expect(a.body.subscription.aliases).toEqual([]);
  });

  it('refuses bad input with 422 listing every problem', async () => {
    const res = await api('POST', '/subscriptions', { url: 'ftp://example.com/x', events: ['message.recieved'], aliases: ['pay ments'] });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['aliases.0', 'events.0', 'url']);
    for (const body of [{ url: 'not a url', events: ['*'] }, { url: 'https://x.example', events: [] }, { url: 'https://user:pw@x.example', events: ['*'] }, []]) {
      expect((await api('POST', '/subscriptions', body)).status).toBe(422);
    }
  });

  it('deletes a subscription; unknown, malformed and foreign ids are 404', async () => {
    const created = await api('POST', '/subscriptions', { url: 'https://n8n.example.com/webhook/del', events: ['*'] });
    const { id } = created.body.subscription;
    expect((await api('DELETE', `/subscriptions/${id}`)).body).toMatchObject({ success: true });
    expect((await api('GET', `/subscriptions/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/subscriptions/${id}`)).status).toBe(404);
    expect((await api('GET', '/subscriptions/nope')).status).toBe(404);

    const other = await backend.createBot({ name: 'Other' });
    const mine = await api('POST', '/subscriptions', { url: 'https://n8n.example.com/webhook/mine', events: ['*'] });
    const foreign = await backend.request('GET', `/api/v1/bots/${other.botId}/subscriptions/${mine.body.subscription.id}`, { token: other.token });
    expect(foreign.status).toBe(404);
  });

  it('needs the subscriptions scope', async () => {
    const limited = await backend.createBot({ scopes: ['call'] });
    const res = await backend.request('GET', `/api/v1/bots/${limited.botId}/subscriptions`, { token: limited.token });
    expect(res.status).toBe(403);
  });

  it('lists deliveries with a status filter and refuses a bad one', async () => {
    expect((await api('GET', '/events/deliveries?status=exhausted')).body).toMatchObject({ success: true, deliveries: [], nextCursor: null });
    expect((await api('GET', '/events/deliveries?status=lost')).status).toBe(422);
    expect((await api('GET', '/events/deliveries?cursor=zzz')).status).toBe(422);
    expect((await api('POST', `/events/deliveries/dlv_${'0'.repeat(24)}/redeliver`)).status).toBe(404);
  });
});
