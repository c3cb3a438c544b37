import { getVkAccount } from '../../../src/channels/vk/vk-store';
import { runCli } from '../../support/cli';
import { dialect } from '../../support/test-backend';
import { useVkBackend } from '../../support/vk';

// A loaded machine (shared CI, PostgreSQL) runs these well past jest's 30 s default; nothing here waits on wall-clock figures.
jest.setTimeout(120_000);

describe(`VK community over the API and the CLI (${dialect})`, () => {
  const setup = useVkBackend({}, { VK_MODE: 'callback' });
  let botId: number;
  let token: string;
  beforeAll(async () => {
    ({ botId, token } = await setup.backend.createBot());
  });
  const api = (method: string, body?: unknown, auth = token, bot = botId) => setup.backend.request(method, `/api/v1/bots/${bot}/vk`, { token: auth, body });

  it('PUT checks the token with groups.getById, stores it encrypted and never echoes it; the callback then works', async () => {
    const community = setup.standin.createCommunity('metabot_shop');
    const set = await api('PUT', community.credentials);
    expect(set.status).toBe(200);
    const callbackUrl = `${setup.backend.url}/vk/${botId}/callback`;
    expect(set.body.vk).toEqual({ configured: true, groupId: community.groupId, screenName: 'metabot_shop', mode: 'callback', callbackUrl, callbackConfigured: true, updatedAt: expect.any(String) });
    const stored = JSON.stringify(await setup.backend.ctx.db('vk_bots').where({ bot_id: botId }).first());
    for (const secret of [community.accessToken, community.secretKey, community.confirmationCode]) {
      expect(JSON.stringify(set.body)).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    expect(await getVkAccount(setup.backend.ctx, botId)).toMatchObject(community.credentials);
    expect((await setup.backend.ctx.db('bots').where({ id: botId }).first()).settings).toContain('metabot_shop');
    community.callbackUrl = callbackUrl;
    expect((await community.confirm()).body).toBe(community.confirmationCode);
  });

  it('refuses a token VK refuses, a token of another community (422) and a community another bot has (409)', async () => {
    const community = setup.standin.createCommunity();
    const refused = await api('PUT', { ...community.credentials, accessToken: 'vk1.a.notatokennotatokennotatoken' });
    expect(refused).toMatchObject({ status: 422, body: { errors: [{ path: 'accessToken', message: expect.stringContaining('5 User authorization failed') }] } });
    const foreign = await api('PUT', { ...community.credentials, groupId: community.groupId + 1000 });
    expect(foreign).toMatchObject({ status: 422, body: { errors: [{ path: 'groupId' }] } });
    const malformed = await api('PUT', { groupId: 'club1', accessToken: 'short', secretKey: 'has spaces' });
    expect(malformed.status).toBe(422);
    expect(malformed.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['accessToken', 'groupId', 'secretKey']);
    const taken = (await getVkAccount(setup.backend.ctx, botId))!;
    const other = await setup.backend.createBot();
    const conflict = await api('PUT', { ...setup.standin.communities.get(taken.groupId)!.credentials }, other.token, other.botId);
    expect(conflict.status).toBe(409);
  });

  it('needs the admin scope and is in the OpenAPI document', async () => {
    const limited = await setup.backend.createBot({ scopes: ['identity', 'messages'] });
    expect((await api('PUT', setup.standin.createCommunity().credentials, limited.token, limited.botId)).status).toBe(403);
    expect((await api('GET', undefined, limited.token, limited.botId)).status).toBe(403);
    const doc = await setup.backend.request('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/api/v1/bots/{botId}/vk']).sort()).toEqual(['delete', 'get', 'put']);
  });

  it('DELETE disconnects (the callback is then 404); a second DELETE is 404', async () => {
    expect((await api('DELETE')).body.vk).toMatchObject({ configured: false, groupId: null });
    expect((await fetch(`${setup.backend.url}/vk/${botId}/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"confirmation","group_id":1}' })).status).toBe(404);
    expect((await api('DELETE')).status).toBe(404);
  });

  it('bot set-vk stores the community from the CLI without printing a secret', async () => {
    const community = setup.standin.createCommunity();
    const { DATABASE_URL } = setup.backend.ctx.config;
    const env = { DATA_DIR: setup.backend.dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'd'.repeat(64), ...(DATABASE_URL ? { DATABASE_URL } : {}) };
    const args = ['bot', 'set-vk', String(botId), '--group-id', String(community.groupId), '--access-token', community.accessToken, '--secret-key', community.secretKey, '--confirmation-code', community.confirmationCode];
    const result = runCli(args, env);
    expect(result.status).toBe(0);
    for (const secret of [community.accessToken, community.secretKey, community.confirmationCode]) expect(result.stdout + result.stderr).not.toContain(secret);
    expect(JSON.parse(result.stdout)).toMatchObject({ botId, vk: expect.stringContaining('stored (encrypted)') });
    expect(await getVkAccount(setup.backend.ctx, botId)).toMatchObject(community.credentials);
    expect(runCli([...args.slice(0, 5), '--access-token', 'x'], env).status).not.toBe(0);
  });
});
