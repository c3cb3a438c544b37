import fc from 'fast-check';
import { SCOPES, type Scope } from '../../backend/src/bots/scopes';
import { createToken, revokeToken } from '../../backend/src/bots/tokens';
import { signWebhook as backendSign, verifyWebhook as backendVerify } from '../../backend/src/events/signature';
import { useStandinBackend } from '../../backend/test/support/delivery';
import { dialect, type TestBackend } from '../../backend/test/support/test-backend';
import { signWebhook as triggerSign, verifyWebhook as triggerVerify } from '../../nodes/shared/signature';
import { concretePath, type Endpoint, publishedEndpoints } from './support/api-surface';
import { snapshotDatabase, snapshotDifferences } from './support/db-snapshot';
import { type DrillWorld, seedDrillWorld, setFakeTelegramToken } from './support/fixtures';

/**
 * Every published endpoint × every wrong credential is refused with the right status and changes
 * nothing; signatures and the Telegram webhook secret hold; hostile table names and filters stay
 * inside their own table. Workers are off so every database change is a request's doing.
 */
describe(`token scope matrix and hostile input (${dialect})`, () => {
  const setup = useStandinBackend({ WORKERS_ENABLED: 'false' });
  let backend: TestBackend;
  let world: DrillWorld;
  let endpoints: Endpoint[];
  const tokens: Record<string, string> = {};

  const mint = async (options: { botId?: number | null; scopes?: Scope[]; aliases?: string[] }) =>
    (await createToken(backend.ctx, { botId: options.botId === undefined ? world.botId : options.botId, scopes: options.scopes, aliases: options.aliases })).token;
  const send = (endpoint: Endpoint, authorization: string | undefined, values: Record<string, string> = world.pathValues) =>
    backend.request(endpoint.method, concretePath(endpoint, values), {
      headers: authorization === undefined ? {} : { authorization },
      ...(endpoint.bodyTypes.length ? { body: {} } : {}),
    });

  beforeAll(async () => {
    backend = setup.backend;
    world = await seedDrillWorld(backend);
    endpoints = (await publishedEndpoints(backend)).filter((e) => e.path.startsWith('/api/v1/bots/{botId}'));
    tokens.revoked = await mint({});
    const revokedId = /^mbt_([a-z0-9]{12})\./.exec(tokens.revoked)![1];
    await revokeToken(backend.ctx, revokedId);
    tokens.allBots = await mint({ botId: null });
    tokens.paymentsOnly = await mint({ aliases: ['payments/*'] });
    for (const scope of SCOPES) {
      tokens[`without:${scope}`] = await mint({ scopes: SCOPES.filter((s) => s !== scope) });
      tokens[`only:${scope}`] = await mint({ scopes: [scope] });
    }
  });

  it('enumerates the bot routes from the OpenAPI registry, each with a documented scope', () => {
    expect(endpoints.length).toBeGreaterThanOrEqual(40);
    expect(new Set(endpoints.map((e) => e.scope))).toEqual(new Set([null, ...SCOPES]));
  });

  it('refuses every endpoint × wrong credential with 401/403 (403 before 404) and changes nothing', async () => {
    const before = await snapshotDatabase(backend.ctx.db);
    const realId = /^mbt_([a-z0-9]{12})\./.exec(world.token)![1];
    const credentials: Array<[string, string | undefined, number]> = [
      ['no token', undefined, 401],
      ['not a bearer token', `Basic ${Buffer.from('user:pass').toString('base64')}`, 401],
      ['garbage', 'Bearer not-a-token', 401],
      ['a known id with a wrong secret', `Bearer mbt_${realId}.${'A'.repeat(43)}`, 401],
      ['a token with a suffix', `Bearer ${world.token}x`, 401],
      ['a revoked token', `Bearer ${tokens.revoked}`, 401],
      ["another bot's token", `Bearer ${world.otherToken}`, 403],
    ];
    const wrong: string[] = [];
    const expectStatus = (label: string, res: { status: number; body: unknown }, status: number) => {
      const body = res.body as { success?: unknown; trace_id?: unknown };
      if (res.status !== status || body?.success !== false || typeof body?.trace_id !== 'string') wrong.push(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
    };
    for (const endpoint of endpoints) {
      const name = `${endpoint.method} ${endpoint.path}`;
      for (const [label, authorization, status] of credentials) expectStatus(`${name} with ${label}`, await send(endpoint, authorization), status);
      const unknownBot = { ...world.pathValues, botId: '999999' };
      expectStatus(`${name} for an unknown bot`, await send(endpoint, `Bearer ${world.token}`, unknownBot), 403);
      expectStatus(`${name} for an unknown bot, all-bots token`, await send(endpoint, `Bearer ${tokens.allBots}`, unknownBot), 404);
      if (endpoint.scope) expectStatus(`${name} without "${endpoint.scope}"`, await send(endpoint, `Bearer ${tokens[`without:${endpoint.scope}`]}`), 403);
      if (endpoint.pathParams.includes('alias')) expectStatus(`${name} outside the alias glob`, await send(endpoint, `Bearer ${tokens.paymentsOnly}`), 403);
      // A token with alias globs and no scopes given gets `call` alone (docs/security.md).
      if (endpoint.scope && endpoint.scope !== 'call') expectStatus(`${name} with an alias-glob token`, await send(endpoint, `Bearer ${tokens.paymentsOnly}`), 403);
    }
    expect(wrong).toEqual([]);
    expect(snapshotDifferences(before, await snapshotDatabase(backend.ctx.db))).toEqual([]);
  }, 120_000);

  it('lets a token with exactly the documented scope (and a matching alias) past authorization', async () => {
    const unknown = { ...world.pathValues, name: 'no_such_table', messageId: 'msg_none', subscriptionId: 'sub_none', leadId: 'ld_none', userId: 'nobody', version: '999', traceId: 'tr_none' };
    const refused: string[] = [];
    for (const endpoint of endpoints) {
      const token = endpoint.scope ? tokens[`only:${endpoint.scope}`] : tokens['only:traces'];
      const res = await send(endpoint, `Bearer ${token}`, unknown);
      if (res.status === 401 || res.status === 403) refused.push(`${endpoint.method} ${endpoint.path}: ${res.status}`);
    }
    const call = endpoints.find((e) => e.pathParams.includes('alias'))!;
    const inGlob = await send(call, `Bearer ${tokens.paymentsOnly}`, { ...world.pathValues, alias: 'payments/succeeded' });
    expect(inGlob.status).toBe(200);
    expect(refused).toEqual([]);
  });

  it("refuses the web chat's visitor API without a visitor token of this bot, and stores nothing", async () => {
    const before = await snapshotDatabase(backend.ctx.db);
    const wrong: string[] = [];
    for (const [method, route] of [['GET', 'history'], ['GET', 'events'], ['POST', 'updates']]) {
      for (const authorization of [undefined, 'Bearer v_x.y', `Bearer ${world.otherVisitorToken}`, `Bearer ${world.visitorToken}x`, `Bearer ${world.token}`]) {
        const res = await backend.request(method, `/chat/${world.botId}/api/${route}`, { headers: authorization ? { authorization } : {}, ...(method === 'POST' ? { body: { kind: 'text', text: 'hi' } } : {}) });
        if (res.status !== 401 || res.body?.success !== false) wrong.push(`${method} ${route} with ${authorization}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(snapshotDifferences(before, await snapshotDatabase(backend.ctx.db))).toEqual([]);
  });

  it('refuses a wrong, missing or foreign Telegram webhook secret, and stores nothing', async () => {
    const update = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1001, type: 'private' }, from: { id: 1001, is_bot: false, first_name: 'A' }, text: 'hi' } };
    const post = (botId: number, secret?: string) =>
      backend.request('POST', `/telegram/${botId}/webhook`, { body: update, headers: secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': secret } });
    const secret = await setFakeTelegramToken(backend, world.botId); // the admin-scope tests above may have removed it
    const before = await snapshotDatabase(backend.ctx.db);
    for (const wrong of [undefined, '', 'x', secret.slice(0, -1), `${secret}0`, secret.toUpperCase(), `${secret} x`]) {
      const res = await post(world.botId, wrong);
      expect([wrong, res.status, res.body.success]).toEqual([wrong, 401, false]);
    }
    expect((await post(world.otherBotId, secret)).status).toBe(404);
    expect(snapshotDifferences(before, await snapshotDatabase(backend.ctx.db))).toEqual([]);
  });

  describe('hostile data-table names and filters', () => {
    // name → the documented answer: 201 for a well-formed name (any script; table names are
    // case-sensitive), 409 for a taken one, 422 for everything else.
    const hostileNames: Array<[string, number]> = [
      ['orders; drop table leads;--', 422],
      ['orders" --', 422],
      ["o'; delete from api_tokens; --", 422],
      ['select', 422],
      ['from', 422],
      ['id', 422],
      ['__proto__', 422],
      ['constructor', 201],
      ['sqlite_master', 201],
      ['pg_catalog', 201],
      ['knex_migrations', 201],
      ['dt_1_1', 201],
      ['a'.repeat(63), 201],
      ['a'.repeat(64), 422],
      ['a'.repeat(100_000), 422],
      ['orders\u0000', 422],
      ['orders', 409],
      ['ORDERS', 201],
      ['таблица', 201],
      ['表格', 201],
      ['emoji_😀', 422],
      ['rtl_\u202Eevil', 422],
      ['', 422],
      [' ', 422],
      ['../orders', 422],
      ['%27', 422],
    ];
    const hostileValues = ["' or '1'='1", '" or 1=1 --', '%', '_', '\\', "ann'; drop table leads; --", '\u0000', 'x'.repeat(70_000), '😀', 'null', '1e309'];

    const tablesApi = (path: string, method: string, body?: unknown, token = world.token) => backend.request(method, `/api/v1/bots/${world.botId}/tables${path}`, { token, body });
    const otherBotsData = async () => {
      const all = await snapshotDatabase(backend.ctx.db);
      // The catalogue (and SQLite's id counters) legitimately grows when a well-formed name is created.
      const catalogue = new Set(['data_tables', 'data_table_columns', 'sqlite_sequence']);
      const own = new RegExp(`^dt_${world.botId}_`);
      return new Map([...all].filter(([table]) => !catalogue.has(table) && !own.test(table)));
    };
    const ordersRows = async () => (await tablesApi('/orders/rows/query', 'POST', {})).body.rows as Array<{ customer: string }>;

    it('creates exactly the well-formed names, refuses the rest, and touches no other bot or table', async () => {
      const before = await otherBotsData();
      const answers = [];
      for (const [name] of hostileNames) {
        const created = await tablesApi('', 'POST', { name, columns: [{ name: 'c', type: 'string' }] });
        // Not looked up: '' (that is the list route) and a URL over Node's 16 KB header limit (refused with 431).
        const looked = name.length > 1000 || name === '' ? undefined : await tablesApi(`/${encodeURIComponent(name)}`, 'GET');
        answers.push([name.slice(0, 70), created.status, looked?.status]);
      }
      const lookup = (name: string, status: number) => (name.length > 1000 || name === '' ? undefined : status === 422 ? 404 : 200);
      expect(answers).toEqual(hostileNames.map(([name, status]) => [name.slice(0, 70), status, lookup(name, status)]));
      expect(snapshotDifferences(before, await otherBotsData())).toEqual([]);
    });

    it('binds every filter value: hostile strings and columns are data or 422, and delete/update touch nothing they do not match', async () => {
      const before = await otherBotsData();
      const rowsBefore = await ordersRows();
      const filter = (column: string, op: string, value: unknown) => ({ filter: { conditions: [{ column, op, value: op === 'in' ? [value, value] : value }] } });
      for (const value of hostileValues) {
        for (const op of ['eq', 'neq', 'gt', 'lt', 'like', 'ilike', 'in']) {
          expect([200, 422]).toContain((await tablesApi('/orders/rows/query', 'POST', filter('customer', op, value))).status);
        }
        expect((await tablesApi('/orders/rows/query', 'POST', { ...filter(value, 'eq', 1), sort: [{ column: value }] })).status).toBe(422);
        if (/^[%_\\]$/.test(value)) continue; // LIKE wildcards legitimately match rows
        for (const op of ['eq', 'like', 'ilike', 'in']) {
          const deleted = await tablesApi('/orders/rows/delete', 'POST', filter('customer', op, value));
          expect([[200, 0], [422, undefined]]).toContainEqual([deleted.status, deleted.body.deleted]);
          const updated = await tablesApi('/orders/rows', 'PATCH', { ...filter('customer', op, value), set: { amount: 999 } });
          expect([[200, 0], [422, undefined]]).toContainEqual([updated.status, updated.body.updated]);
        }
      }
      expect(await ordersRows()).toEqual(rowsBefore);
      expect(snapshotDifferences(before, await otherBotsData())).toEqual([]);
    }, 120_000);
  });

  // Last: it makes no request, and a pause longer than the server's keep-alive timeout would leave
  // the next test's fetch a closed socket.
  it('refuses forged, stale and replayed signatures in the backend and the n8n trigger alike', () => {
    const nowMs = Date.UTC(2026, 10, 21, 12);
    const id = 'dlv_drill';
    const accepts = (verify: typeof backendVerify, secret: string, body: string, header: string | undefined, atMs: number, deliveryId = id) => {
      try {
        verify(secret, deliveryId, body, header, Math.floor(atMs / 1000));
        return true;
      } catch {
        return false;
      }
    };
    const both = (secret: string, body: string, header: string | undefined, atMs: number, deliveryId?: string) =>
      [accepts(backendVerify, secret, body, header, atMs, deliveryId), accepts(triggerVerify, secret, body, header, atMs, deliveryId)];
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'grapheme', minLength: 1 }), fc.integer({ min: 301, max: 10 ** 7 }), (secret, body, tamper, late) => {
        const header = backendSign(secret, id, body, Math.floor(nowMs / 1000));
        expect(triggerSign(secret, id, body, Math.floor(nowMs / 1000))).toBe(header);
        expect(both(secret, body, header, nowMs)).toEqual([true, true]);
        expect(both(`${secret}x`, body, header, nowMs)).toEqual([false, false]);
        expect(both(secret, body + tamper, header, nowMs)).toEqual([false, false]);
        // A captured delivery passed off under another delivery id, past the trigger's de-duplication.
        expect(both(secret, body, header, nowMs, `${id}${tamper}`)).toEqual([false, false]);
        // A captured delivery replayed later than the tolerance, or a header re-dated to look fresh.
        expect(both(secret, body, header, nowMs + late * 1000)).toEqual([false, false]);
        const redated = header.replace(/^t=\d+/, `t=${Math.floor(nowMs / 1000) + late}`);
        expect(both(secret, body, redated, nowMs + late * 1000)).toEqual([false, false]);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        expect(both('whsec_x', '{}', header, nowMs)).toEqual([false, false]);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});
