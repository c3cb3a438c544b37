import fs from 'node:fs';
import path from 'node:path';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

const exampleMaps = path.resolve(__dirname, '../../../examples/maps');

describe(`communication maps API (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const url = () => `/api/v1/bots/${botId}/maps`;

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  it('imports every example map shipped in examples/maps', async () => {
    for (const file of fs.readdirSync(exampleMaps)) {
      const document = JSON.parse(fs.readFileSync(path.join(exampleMaps, file), 'utf8'));
      const res = await backend.request('POST', url(), { token, body: { document, author: 'test' } });
      expect({ file, status: res.status }).toEqual({ file, status: 201 });
    }
  });

  it('refuses a bad map with every error listed, and stores nothing', async () => {
    const before = (await backend.request('GET', url(), { token })).body.versions.length;
    const bad = {
      name: 'Broken',
      endpoints: [
        { alias: 'users/../etc', purpose: 'x', owner: 'y' },
        { alias: 'ok/one', purpose: '', owner: 'y' },
        { alias: 'ok/two', purpose: 'p', owner: 'o', params: { type: 'no-such-type' } },
        { alias: 'ok/two', purpose: 'p', owner: 'o' },
      ],
    };
    const shape = await backend.request('POST', url(), { token, body: { document: bad } });
    expect(shape.status).toBe(422);
    expect(shape.body.errors.map((e: { path: string }) => e.path)).toEqual(['endpoints.0.alias', 'endpoints.1.purpose']);

    bad.endpoints.splice(0, 2);
    const semantic = await backend.request('POST', url(), { token, body: { document: bad } });
    expect(semantic.status).toBe(422);
    expect(semantic.body.errors.map((e: { path: string }) => e.path)).toEqual(['endpoints.0.params', 'endpoints.1.alias']);
    expect((await backend.request('GET', url(), { token })).body.versions.length).toBe(before);
  });

  it('lists versions with author and date, diffs two versions, and rolls back as a new version', async () => {
    const v1 = await backend.request('POST', url(), { token, body: { document: userAccountMap, author: 'anna', comment: 'first' } });
    const changed = {
      ...userAccountMap,
      endpoints: [
        { ...userAccountMap.endpoints[0], purpose: 'Changed purpose' },
        userAccountMap.endpoints[2],
        { alias: 'users/delete', purpose: 'Account deleted', owner: 'CRM team' },
      ],
    };
    const v2 = await backend.request('POST', url(), { token, body: { document: changed, author: 'boris' } });
    const [from, to] = [v1.body.map.version, v2.body.map.version];

    const versions = (await backend.request('GET', url(), { token })).body.versions;
    expect(versions[0]).toMatchObject({ version: to, author: 'boris', endpointCount: 3, createdAt: expect.any(Number) });
    expect(versions[1]).toMatchObject({ version: from, author: 'anna', comment: 'first' });

    const diff = (await backend.request('GET', `${url()}/diff?from=${from}&to=${to}`, { token })).body.diff;
    expect(diff.added).toEqual(['users/delete']);
    expect(diff.removed).toEqual(['users/connect-bot']);
    expect(diff.changed).toEqual([{ alias: 'users/update', changes: [{ type: 'change', path: 'purpose', oldValue: userAccountMap.endpoints[0].purpose, value: 'Changed purpose' }] }]);

    const connect = () => backend.request('POST', `/api/v1/bots/${botId}/call/users/connect-bot`, { token, body: { script_request_params: { userId: 1 } } });
    expect((await connect()).status).toBe(404);
    const rollback = await backend.request('POST', `${url()}/rollback`, { token, body: { version: from, author: 'carol' } });
    expect(rollback.status).toBe(201);
    expect(rollback.body.map).toMatchObject({ version: to + 1, rolledBackFrom: from, author: 'carol' });
    const current = await backend.request('GET', `${url()}/current`, { token });
    expect(current.body.map.document).toEqual((await backend.request('GET', `${url()}/${from}`, { token })).body.map.document);
    expect((await connect()).body.success).toBe(true);
  });

  it('answers unknown versions and bad queries with documented errors', async () => {
    expect((await backend.request('GET', `${url()}/9999`, { token })).status).toBe(404);
    expect((await backend.request('GET', `${url()}/abc`, { token })).status).toBe(422);
    expect((await backend.request('GET', `${url()}/diff?from=1`, { token })).status).toBe(422);
    expect((await backend.request('POST', `${url()}/rollback`, { token, body: { version: 9999 } })).status).toBe(404);
  });

  it('needs the maps scope', async () => {
    const callOnly = await backend.createBot({ scopes: ['call'] });
    expect((await backend.request('GET', `/api/v1/bots/${callOnly.botId}/maps`, { token: callOnly.token })).status).toBe(403);
    expect((await backend.request('GET', `/api/v1/bots/${botId}/maps`, { token: callOnly.token })).status).toBe(403);
  });
});
