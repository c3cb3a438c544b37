import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { userAccountMap } from '../support/maps';
import { runCli, runCliAsync } from '../support/cli';
import { eventually } from '../support/eventually';
import { startTestBackend, type TestBackend } from '../support/test-backend';

// Each test spawns the compiled CLI several times (one Node start each): seconds on a busy machine.
jest.setTimeout(120_000);

describe('metabot-backend CLI', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-cli-'));
  let backend: TestBackend;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = (...args: string[]) => {
    const result = cli(...args);
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout);
  };
  // The CLI and the server share one database: the server's (a fresh PostgreSQL one in that run).
  beforeAll(async () => {
    backend = await startTestBackend({ env: { DATA_DIR: dataDir } });
    const { DATABASE_URL } = backend.ctx.config;
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(DATABASE_URL ? { DATABASE_URL } : {}) };
  });
  afterAll(async () => {
    await backend.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates an empty database, then has nothing left to apply', () => {
    const fresh = { DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-cli-')), LOG_LEVEL: 'silent' };
    const migrate = () => JSON.parse(runCli(['migrate'], fresh).stdout);
    expect(migrate().applied.length).toBeGreaterThan(0);
    expect(migrate().applied).toEqual([]);
    fs.rmSync(fresh.DATA_DIR, { recursive: true, force: true });
  });

  it('creates bots and scoped tokens that the server accepts; a revoked token is refused', async () => {
    const bot = json('bot', 'create', '--name', 'Shop');
    expect(json('bot', 'list').map((b: { name: string }) => b.name)).toContain('Shop');
    const mapFile = path.join(dataDir, 'map.json');
    fs.writeFileSync(mapFile, JSON.stringify(userAccountMap));
    expect(json('map', 'import', '--bot', String(bot.id), '--file', mapFile)).toEqual({ version: 1, endpoints: 3 });
    expect(json('map', 'export', '--bot', String(bot.id))).toMatchObject({ name: 'User account' });

    const payments = json('token', 'create', '--bot', String(bot.id), '--alias', 'payments/*', '--scope', 'call', '--name', 'payments');
    expect(payments.token).toMatch(/^mbt_/);
    expect(payments).toMatchObject({ aliases: ['payments/*'], scopes: ['call'] });
    const listed = JSON.stringify(json('token', 'list'));
    expect(listed).not.toContain(payments.token.split('.')[1]);
    // Alias globs without --scope: an integration's key, not an administrator's.
    const defaulted = json('token', 'create', '--bot', String(bot.id), '--alias', 'payments/*');
    expect(defaulted).toMatchObject({ scopes: ['call'], rights: 'scopes call on aliases payments/*' });
    expect(json('token', 'list', '--bot', String(bot.id)).find((t: { tokenId: string }) => t.tokenId === defaulted.tokenId).rights).toBe('scopes call on aliases payments/*');

    const call = (alias: string, params: object) =>
      backend.request('POST', `/api/v1/bots/${bot.id}/call/${alias}`, { token: payments.token, body: { script_request_params: params } });
    expect((await call('payments/succeeded', { userId: 1, amount: 5 })).body.success).toBe(true);
    expect((await call('users/connect-bot', { userId: 1 })).status).toBe(403);
    // Not spawnSync: this process serves the calls, and on PostgreSQL it learns of the revocation by
    // a notice it must be free to read (a change by another process is seen within a second).
    expect((await runCliAsync(['token', 'revoke', payments.tokenId], env)).status).toBe(0);
    await eventually(async () => (await call('payments/succeeded', { userId: 1, amount: 5 })).status === 401, 1_000);
  });

  it('explains bad input in one line and exits non-zero', () => {
    const noBot = cli('token', 'create', '--bot', '999');
    expect(noBot.status).toBe(1);
    expect(noBot.stderr).toContain('Bot 999 does not exist');
    const both = cli('token', 'create');
    expect(both.stderr).toContain('exactly one of --bot');
    const badScope = cli('token', 'create', '--all-bots', '--scope', 'everything');
    expect(badScope.status).toBe(1);
    expect(badScope.stderr).toMatch(/scopes/);
    const badMap = path.join(dataDir, 'bad.json');
    fs.writeFileSync(badMap, '{"name": "x", "endpoints": [{"alias": "a b"}]}');
    const refused = cli('map', 'import', '--bot', '1', '--file', badMap);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('endpoints.0.alias');
  });
});
