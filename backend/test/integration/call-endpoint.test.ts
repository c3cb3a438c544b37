import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`POST /api/v1/bots/{botId}/call/{alias} (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const call = (alias: string, body: unknown, opts: { token?: string; headers?: Record<string, string>; bot?: number } = {}) =>
    backend.request('POST', `/api/v1/bots/${opts.bot ?? botId}/call/${alias}`, { token: opts.token ?? token, body, headers: opts.headers });

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(() => backend.close());

  const eventCount = async () => Number((await backend.ctx.db('events').count({ n: '*' }).first())!.n);

  it('accepts a valid call, persists an endpoint.called event and a trace hop', async () => {
    const before = await eventCount();
    const res = await call('users/update', { script_request_params: { userId: 127, role: 'user' }, lead_id: 5 }, { headers: { 'X-Source-System': 'crm' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, queued: true, trace_id: expect.any(String) });
    expect(res.headers.get('x-trace-id')).toBe(res.body.trace_id);
    expect(await eventCount()).toBe(before + 1);
    const event = await backend.ctx.db('events').where({ id: res.body.event_id }).first();
    expect(event).toMatchObject({ type: 'endpoint.called', alias: 'users/update', user_id: '127', bot_id: botId });
    expect(JSON.parse(event.payload)).toMatchObject({ params: { userId: 127, role: 'user' }, lead_id: 5, source_system: 'crm' });

    const trace = await backend.request('GET', `/api/v1/bots/${botId}/traces/${res.body.trace_id}`, { token });
    expect(trace.status).toBe(200);
    expect(trace.body.hops[0]).toMatchObject({ hop: 'endpoint.called', status: 'accepted', sourceSystem: 'crm', alias: 'users/update', userId: '127', latencyMs: expect.any(Number) });
    expect(trace.body.hops[0].detail).toEqual({ event_id: res.body.event_id, map_version: 1 });
  });

  it('generates trace ids that lead with the time, so the ids of one moment sit together in the indexes', async () => {
    const before = Date.now();
    const first = (await call('users/connect-bot', { script_request_params: { userId: 1 } })).body.trace_id as string;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = (await call('users/connect-bot', { script_request_params: { userId: 1 } })).body.trace_id as string;
    for (const id of [first, second]) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(parseInt(first.slice(0, 12), 16)).toBeGreaterThanOrEqual(before);
    expect(parseInt(second.slice(0, 12), 16)).toBeLessThanOrEqual(Date.now());
    expect(first < second).toBe(true);
    expect(first.slice(12)).not.toBe(second.slice(12));
  });

  it('keeps an incoming X-Trace-Id', async () => {
    const res = await call('users/connect-bot', { script_request_params: { userId: 1 } }, { headers: { 'X-Trace-Id': 'crm-event-42' } });
    expect(res.body).toMatchObject({ success: true, trace_id: 'crm-event-42' });
  });

  it('answers params that do not match the schema with 200, success=false, errorCode 422 and every error', async () => {
    const before = await eventCount();
    const res = await call('users/update', { script_request_params: { userId: true, firstname: 5 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: false, errorCode: 422, message: expect.any(String), trace_id: expect.any(String) });
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['script_request_params.firstname', 'script_request_params.role', 'script_request_params.userId']);
    expect(await eventCount()).toBe(before);
  });

  it('answers a non-object script_request_params as a business failure', async () => {
    const res = await call('users/connect-bot', { script_request_params: 'nope' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: false, errorCode: 422 });
  });

  it('401 without a token or with a wrong one', async () => {
    for (const auth of [undefined, 'mbt_aaaaaaaaaaaa.' + 'x'.repeat(43), 'garbage']) {
      const res = await backend.request('POST', `/api/v1/bots/${botId}/call/users/connect-bot`, {
        body: { script_request_params: { userId: 1 } },
        headers: auth ? { authorization: `Bearer ${auth}` } : {},
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, message: expect.any(String) });
    }
  });

  it('403 for a token of another bot, for an alias outside the token globs, and without the call scope', async () => {
    const other = await backend.createBot({ name: 'Other', map: userAccountMap });
    expect((await call('users/connect-bot', { script_request_params: { userId: 1 } }, { token: other.token })).status).toBe(403);

    const payments = await backend.createBot({ map: userAccountMap, aliases: ['payments/*'] });
    expect((await call('users/connect-bot', { script_request_params: { userId: 1 } }, { token: payments.token, bot: payments.botId })).status).toBe(403);
    const paid = await call('payments/succeeded', { script_request_params: { userId: 1, amount: 10 } }, { token: payments.token, bot: payments.botId });
    expect(paid.body).toMatchObject({ success: true });

    const tablesOnly = await backend.createBot({ map: userAccountMap, scopes: ['tables'] });
    expect((await call('users/connect-bot', { script_request_params: { userId: 1 } }, { token: tablesOnly.token, bot: tablesOnly.botId })).status).toBe(403);
  });

  it('404 for an unknown alias, an unknown bot and an alias with forbidden characters', async () => {
    expect((await call('users/nothing', { script_request_params: {} })).status).toBe(404);
    for (const alias of ['users/..%2F..%2Fetc', 'users/a%20b', 'users/%3Cscript%3E']) {
      const res = await call(alias, { script_request_params: {} });
      expect(res.status).toBe(404);
      expect(res.body.success).toBe(false);
    }
  });

  it('400 for malformed JSON, 415 for another content type, 413 over the body limit', async () => {
    const url = `/api/v1/bots/${botId}/call/users/connect-bot`;
    const malformed = await backend.request('POST', url, { token, rawBody: '{"script_request_params": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ success: false, message: 'Malformed JSON in request body' });
    const text = await backend.request('POST', url, { token, rawBody: 'userId=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    const huge = await backend.request('POST', url, { token, body: { script_request_params: { userId: 1, blob: 'x'.repeat(1_100_000) } } });
    expect(huge.status).toBe(413);
    expect(JSON.stringify(huge.body)).not.toMatch(/at .*\.js/);
  });

  it('dry run validates and answers the same shape without queueing anything', async () => {
    const before = await eventCount();
    const viaQuery = await backend.request('POST', `/api/v1/bots/${botId}/call/users/connect-bot?dry_run=true`, { token, body: { script_request_params: { userId: 1 } } });
    const viaHeader = await call('users/connect-bot', { script_request_params: { userId: 1 } }, { headers: { 'X-Dry-Run': 'true' } });
    const invalid = await call('users/connect-bot', { script_request_params: {} }, { headers: { 'X-Dry-Run': 'true' } });
    expect(viaQuery.body).toMatchObject({ success: true, dry_run: true });
    expect(viaHeader.body).toMatchObject({ success: true, dry_run: true });
    expect(invalid.body).toMatchObject({ success: false, errorCode: 422 });
    expect(await eventCount()).toBe(before);
  });

  it('an Idempotency-Key replays the first answer, refuses another body, and survives concurrency', async () => {
    const body = { script_request_params: { userId: 9, role: 'admin' } };
    const headers = { 'Idempotency-Key': 'order-1001' };
    const before = await eventCount();
    const first = await call('users/update', body, { headers });
    const again = await call('users/update', { script_request_params: { role: 'admin', userId: 9 } }, { headers });
    expect(again.body).toEqual(first.body);
    expect(await eventCount()).toBe(before + 1);

    const different = await call('users/update', { script_request_params: { userId: 10, role: 'admin' } }, { headers });
    expect(different.status).toBe(409);

    const concurrent = await Promise.all(Array.from({ length: 8 }, () => call('users/update', body, { headers: { 'Idempotency-Key': 'race-1' } })));
    const eventIds = new Set(concurrent.map((r) => r.body.event_id));
    expect(concurrent.every((r) => r.status === 200 && r.body.success)).toBe(true);
    expect(eventIds.size).toBe(1);
    expect(await eventCount()).toBe(before + 2);
  });
});
