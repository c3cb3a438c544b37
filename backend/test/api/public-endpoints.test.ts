import { createToken } from '../../src/bots/tokens';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`health, OpenAPI and Swagger UI (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: userAccountMap, name: 'Shop bot' }));
  });
  afterAll(() => backend.close());

  it('answers /healthz and /readyz', async () => {
    expect((await backend.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await backend.request('GET', '/readyz')).body).toMatchObject({ status: 'ready', database: 'ok' });
  });

  it('publishes an OpenAPI 3.1 document of the whole API', async () => {
    const doc = (await backend.request('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/v1/bots/{botId}/call/{alias}'].post.responses).toHaveProperty('401');
    expect(doc.components.schemas).toHaveProperty('CallRequest');
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
  });

  it("documents the web chat's visitor API with the visitor token, not an API token", async () => {
    const doc = (await backend.request('GET', '/openapi.json')).body;
    const visitorPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/chat/'));
    expect(visitorPaths.sort()).toEqual(['/chat/{botId}/api/events', '/chat/{botId}/api/files/{messageId}/{index}', '/chat/{botId}/api/history', '/chat/{botId}/api/updates', '/chat/{botId}/api/uploads', '/chat/{botId}/api/visitors']);
    expect(doc.paths['/chat/{botId}/api/visitors'].post.security).toEqual([]);
    for (const p of visitorPaths.filter((p) => !p.endsWith('/visitors'))) {
      for (const op of Object.values(doc.paths[p]) as Array<{ security: unknown }>) expect(op.security).toEqual([{ visitorToken: [] }]);
    }
    const upload = doc.paths['/chat/{botId}/api/uploads'].post;
    expect(Object.keys(upload.requestBody.content)).toEqual(['application/octet-stream']);
    expect(upload.parameters.map((p: { name: string }) => p.name)).toEqual(['botId', 'id', 'name']);
    expect(upload.responses).toHaveProperty('413');
    expect(doc.components.schemas.ChatMessage.properties).toHaveProperty('media');
  });

  it('publishes one operation per alias of a bot map, with the params schema, to a token of that bot', async () => {
    const doc = (await backend.request('GET', `/docs/${botId}/openapi.json`, { token })).body;
    const op = doc.paths[`/api/v1/bots/${botId}/call/users/update`].post;
    expect(op.summary).toBe(userAccountMap.endpoints[0].purpose);
    expect(op.requestBody.content['application/json'].schema.properties.script_request_params).toEqual(userAccountMap.endpoints[0].params);
    expect(Object.keys(doc.paths)).toHaveLength(userAccountMap.endpoints.length);
    const allBots = (await createToken(backend.ctx, { botId: null })).token;
    expect((await backend.request('GET', '/docs/99999/openapi.json', { token: allBots })).status).toBe(404);
  });

  it("refuses a bot's OpenAPI document without a token of that bot with the maps or call scope", async () => {
    const status = async (token?: string) => (await backend.request('GET', `/docs/${botId}/openapi.json`, { token })).status;
    const other = (await backend.createBot()).token;
    const tablesOnly = (await createToken(backend.ctx, { botId, scopes: ['tables'] })).token;
    const mapsOnly = (await createToken(backend.ctx, { botId, scopes: ['maps'] })).token;
    const callOnly = (await createToken(backend.ctx, { botId, scopes: ['call'] })).token;
    expect([await status(), await status('mbt_x.y'), await status(other), await status(tablesOnly)]).toEqual([401, 401, 403, 403]);
    expect([await status(mapsOnly), await status(callOnly)]).toEqual([200, 200]);
  });

  it('serves Swagger UI pages and assets offline', async () => {
    const page = await backend.request('GET', `/docs/${botId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-spec-url="/docs/${botId}/openapi.json"`);
    // The bot's document needs a token: the page fetches it with the one given to Authorize.
    expect(page.body).toContain("headers: { authorization: 'Bearer ' + token }");
    const hostile = await backend.request('GET', '/docs/%22%3E%3Cscript%3E');
    expect(hostile.body).not.toContain('"><script>');
    const asset = await fetch(`${backend.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
  });

  it('does not serve /metrics on the main port without METRICS_TOKEN', async () => {
    expect((await backend.request('GET', '/metrics')).status).toBe(404);
    expect(backend.metricsUrl).toBeUndefined();
  });

  it('serves /metrics on the main port to a bearer of METRICS_TOKEN only', async () => {
    const secured = await startTestBackend({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
    try {
      const scrape = (authorization?: string) => secured.request('GET', '/metrics', { headers: authorization ? { authorization } : {} });
      const refused = [await scrape(), await scrape('Bearer metrics-token-012345678'), await scrape('Bearer metrics-token-0123456789x'), await scrape(`Bearer ${token}`)];
      expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401]);
      const res = await scrape('Bearer metrics-token-0123456789');
      expect(res.status).toBe(200);
      expect(res.body).toContain('process_cpu_seconds_total');
    } finally {
      await secured.close();
    }
  });

  it('serves /metrics without a token on a loopback-only METRICS_PORT', async () => {
    const local = await startTestBackend({ env: { METRICS_PORT: '0' } });
    try {
      expect(local.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${local.metricsUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('process_cpu_seconds_total');
      expect((await local.request('GET', '/metrics')).status).toBe(404);
    } finally {
      await local.close();
    }
  });

  it('GET /bots/{botId} shows the token rights and the map aliases (the credential test)', async () => {
    const res = await backend.request('GET', `/api/v1/bots/${botId}`, { token });
    expect(res.body).toMatchObject({ success: true, bot: { id: botId, name: 'Shop bot' }, map: { aliases: userAccountMap.endpoints.map((e) => e.alias) } });
    expect((await backend.request('GET', `/api/v1/bots/${botId}`)).status).toBe(401);
  });

  it('answers a NUL character PostgreSQL cannot store as the caller\'s error, not a 500', async () => {
    const res = await backend.request('GET', `/api/v1/bots/${botId}/events/deliveries?subscriptionId=%00`, { token });
    expect([res.status, res.body.success]).toEqual(dialect === 'postgresql' ? [400, false] : [200, true]);
  });

  it('answers unknown routes with the error shape and never a stack trace', async () => {
    const res = await backend.request('GET', '/api/v1/nothing/here', { token });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, message: 'Not found', trace_id: expect.any(String) });
  });
});
