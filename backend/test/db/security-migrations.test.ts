import { createToken } from '../../src/bots/tokens';
import { SCOPES } from '../../src/bots/scopes';
import { migrationSource } from '../../src/platform/db/migrations/index';
import { requestHash } from '../../src/platform/http/once-per-key';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/** Migrations 0009 and 0010 on a database written before them (docs/security.md). */
describe(`security migrations (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(() => backend.close());

  it('0009 narrows alias tokens that had every scope by default to call, and leaves the others', async () => {
    const mint = async (aliases: string[], scopes: string[]) => (await createToken(backend.ctx, { botId, aliases, scopes: scopes as never })).info.tokenId;
    // The scopes every token had when 0009 was written (later scopes, such as analytics, came after it).
    const oldDefault = ['call', 'identity', 'messages', 'tables', 'subscriptions', 'maps', 'traces', 'admin'];
    const defaulted = await mint(['payments/*'], oldDefault);
    const chosen = await mint(['payments/*'], ['call', 'traces']);
    const everyAlias = await mint(['**'], [...SCOPES]);
    await backend.ctx.db.migrate.down({ migrationSource, name: '0009_alias_tokens_call_only' });
    await backend.ctx.db.migrate.latest({ migrationSource });
    const scopes = async (id: string) => JSON.parse((await backend.ctx.db('api_tokens').where({ id }).first()).scopes);
    expect([await scopes(defaulted), await scopes(chosen), await scopes(everyAlias)]).toEqual([['call'], ['call', 'traces'], [...SCOPES]]);
  });

  it('0010 keeps a key stored before it valid: a retry across the upgrade is answered, not run again', async () => {
    const db = backend.ctx.db;
    await db.migrate.down({ migrationSource, name: '0010_idempotency_keys_per_token' });
    const body = { script_request_params: { userId: 1, amount: 5 } };
    const stored = { success: true, message: 'Accepted', queued: true, event_id: 424242, trace_id: 'tr-before' };
    await db('idempotency_keys').insert({
      bot_id: botId, key: 'before-upgrade', request_hash: requestHash({ alias: 'payments/succeeded', body }),
      status_code: 200, response: JSON.stringify(stored), created_at: backend.ctx.clock.now(),
    });
    await db.migrate.latest({ migrationSource });
    const retry = await backend.request('POST', `/api/v1/bots/${botId}/call/payments/succeeded`, { token, body, headers: { 'Idempotency-Key': 'before-upgrade' } });
    expect(retry.body).toEqual(stored);
  });
});
