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

  it('publishes one operation per alias of a bot map, with the params schema', async () => {
    const doc = (await backend.request('GET', `/docs/${botId}/openapi.json`)).body;
    const op = doc.paths[`/api/v1/bots/${botId}/call/users/update`].post;
    expect(op.summary).toBe(userAccountMap.endpoints[0].purpose);
    expect(op.requestBody.content['application/json'].schema.properties.script_request_params).toEqual(userAccountMap.endpoints[0].params);
    expect(Object.keys(doc.paths)).toHaveLength(userAccountMap.endpoints.length);
    expect((await backend.request('GET', '/docs/99999/openapi.json')).status).toBe(404);
  });

  it('serves Swagger UI pages and assets offline', async () => {
    const page = await backend.request('GET', `/docs/${botId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-spec-url="/docs/${botId}/openapi.json"`);
    const hostile = await backend.request('GET', '/docs/%22%3E%3Cscript%3E');
    expect(hostile.body).not.toContain('"><script>');
    const asset = await fetch(`${backend.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
  });

  it('exposes Prometheus metrics', async () => {
    const res = await backend.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('process_cpu_seconds_total');
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
