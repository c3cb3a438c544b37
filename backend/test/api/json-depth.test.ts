import { measureJson } from '../../src/platform/json-size';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';
import { newVisitor } from '../support/webchat';

/** `{"<key>": [[[ … ]]]}` nested `depth` levels below the key, written as text (no recursion). */
const deepBody = (key: string, depth: number, rest = '') => `{${rest}"${key}":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const asJson = { 'content-type': 'application/json' };
const nested = (depth: number): unknown => {
  let value: unknown = [];
  for (let level = 1; level < depth; level += 1) value = [value];
  return value;
};

describe('measureJson', () => {
  it('measures 100,000 levels without recursion', () => {
    expect(measureJson(nested(100_000)).depth).toBe(100_000);
  });

  it('counts levels, values and characters', () => {
    expect(measureJson('abc')).toEqual({ depth: 0, values: 1, characters: 3 });
    expect(measureJson({ ab: [1, 'xy', { c: null }] })).toEqual({ depth: 3, values: 6, characters: 5 });
  });
});

describe(`JSON bodies nested deeper than 64 levels (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const expectRefused = (res: { status: number; body: Record<string, unknown> }) => {
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, message: 'JSON nested deeper than 64 levels', trace_id: expect.any(String) });
  };

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(() => backend.close());
  afterEach(async () => {
    expect((await backend.request('GET', '/healthz')).status).toBe(200);
  });

  it('the call endpoint answers 400 to params nested 10,000 deep', async () => {
    const rawBody = `{"script_request_params":${deepBody('userId', 10_000)}}`;
    expectRefused(await backend.request('POST', `/api/v1/bots/${botId}/call/users/update`, { token, rawBody, headers: asJson }));
  });

  it('lead attributes answer 400 to a value nested 10,000 deep', async () => {
    const rawBody = `{"attributes":${deepBody('plan', 10_000)}}`;
    expectRefused(await backend.request('PATCH', `/api/v1/bots/${botId}/leads/ld_missing/attributes`, { token, rawBody, headers: asJson }));
  });

  it('message params answer 400 when nested 10,000 deep', async () => {
    const rawBody = deepBody('params', 10_000, '"userIds":["1"],"text":"hi",');
    expectRefused(await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, rawBody, headers: asJson }));
  });

  it("the web chat's own parser answers 400 (7,000 deep fits its 16 kB limit)", async () => {
    const visitor = await newVisitor(backend, botId);
    const rawBody = deepBody('extra', 7_000, '"kind":"text","id":"abcdefgh12","text":"hi",');
    expectRefused(await backend.request('POST', `/chat/${botId}/api/updates`, { rawBody, headers: { ...asJson, authorization: `Bearer ${visitor.token}` } }));
  });

  it('64 levels are accepted', async () => {
    const rawBody = `{"script_request_params":{"userId":1,"extra":${'['.repeat(62)}${']'.repeat(62)}}}`;
    const res = await backend.request('POST', `/api/v1/bots/${botId}/call/users/connect-bot`, { token, rawBody, headers: asJson });
    expect(res.body).toMatchObject({ success: true });
  });
});
