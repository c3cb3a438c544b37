import { getBot } from '../../src/bots/bots';
import { revokeToken, verifyToken } from '../../src/bots/tokens';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`reads on the request path see exactly what has committed (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const call = (alias: string) =>
    backend.request('POST', `/api/v1/bots/${botId}/call/${alias}`, { token, body: { script_request_params: { userId: 7, role: 'user' } } });

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
  });
  beforeEach(async () => {
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(() => backend.close());

  it('an uncommitted change is not seen, and is seen as soon as it commits', async () => {
    const { ctx } = backend;
    const tokenId = token.slice(4, 16);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const revoking = ctx.db.transaction(async (trx) => {
      await trx('api_tokens').where({ id: tokenId }).update({ revoked_at: ctx.clock.now() });
      await trx('bots').where({ id: botId }).update({ name: 'Renamed' });
      await held;
    });
    // The transaction is open: the reads neither wait for it nor see its changes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await verifyToken(ctx, token)).toMatchObject({ botId });
    expect(await getBot(ctx, botId)).toMatchObject({ name: 'Test bot' });
    release();
    await revoking;
    expect(await verifyToken(ctx, token)).toBeUndefined();
    expect(await getBot(ctx, botId)).toMatchObject({ name: 'Renamed' });
  });

  it('a revoked token is refused on the next request', async () => {
    expect((await call('users/update')).status).toBe(200);
    expect(await revokeToken(backend.ctx, token.slice(4, 16))).toBe(true);
    expect((await call('users/update')).status).toBe(401);
  });

  it('a new map version is used from the next request on, and so is a rollback', async () => {
    expect((await call('users/update')).body.success).toBe(true);
    const mapsUrl = `/api/v1/bots/${botId}/maps`;
    const trimmed = { ...userAccountMap, endpoints: userAccountMap.endpoints.filter((e) => e.alias !== 'users/update') };
    const imported = await backend.request('POST', mapsUrl, { token, body: { document: trimmed, author: 'test' } });
    expect(imported.status).toBe(201);
    expect((await call('users/update')).status).toBe(404);
    const rollback = await backend.request('POST', `${mapsUrl}/rollback`, { token, body: { version: imported.body.map.version - 1 } });
    expect(rollback.status).toBe(201);
    const answer = await call('users/update');
    expect(answer.body.success).toBe(true);
    const event = await backend.ctx.db('events').where({ id: answer.body.event_id }).first();
    expect(JSON.parse(event.payload).map_version).toBe(rollback.body.map.version);
  });

  it('reads bind their parameters (no SQL from values)', async () => {
    expect(await backend.ctx.reads.row('select id from bots where name = ?', ["x' or '1'='1"])).toBeUndefined();
    expect(await backend.ctx.reads.row('select id from bots where id = ?', [botId])).toEqual({ id: botId });
  });
});
