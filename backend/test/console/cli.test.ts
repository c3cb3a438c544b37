import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureBuiltCli, runCli, runCliAsync } from '../support/cli';
import { consoleLogin, loginRequest } from '../support/console';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

jest.setTimeout(120_000);

describe(`metabot-backend console-user (${dialect})`, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-console-cli-'));
  let backend: TestBackend;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    backend = await startTestBackend({ env: { DATA_DIR: dataDir } });
    const { DATABASE_URL } = backend.ctx.config;
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(DATABASE_URL ? { DATABASE_URL } : {}) };
    await backend.createBot();
  });
  afterAll(async () => {
    await backend.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates an account with a generated password that logs in, restricted to the bots given', async () => {
    const created = cli('console-user', 'create', '--email', 'Olga@Example.com', '--role', 'operator', '--bot', '1');
    expect(created.status).toBe(0);
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ email: 'olga@example.com', role: 'operator', botIds: [1], password: expect.stringMatching(/^\S{20}$/), loginUrl: expect.stringMatching(/\/console$/) });
    const client = await consoleLogin(backend, 'olga@example.com', user.password);
    expect(client.login.body.permissions).toEqual(['traces.read', 'conversations.read', 'conversations.write']);
  });

  it('reads the password from standard input, and refuses a short one, an unknown role, a missing bot and a second account per email', () => {
    const stdin = (input: string, ...args: string[]) => spawnSync(process.execPath, [ensureBuiltCli(), 'console-user', 'create', ...args, '--password-stdin'], { env: { PATH: process.env.PATH ?? '', ...env }, input, encoding: 'utf8' });
    const ok = stdin('a password from a pipe\n', '--email', 'piped@example.com', '--role', 'analyst');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).password).toBeUndefined();
    expect(stdin('short\n', '--email', 'short@example.com', '--role', 'analyst').stderr).toMatch(/at least 12 characters/);
    expect(cli('console-user', 'create', '--email', 'x@example.com', '--role', 'root').stderr).toMatch(/role/);
    expect(cli('console-user', 'create', '--email', 'x@example.com', '--role', 'admin', '--bot', '99').stderr).toMatch(/Bot 99 does not exist/);
    expect(cli('console-user', 'create', '--email', 'piped@example.com', '--role', 'admin').stderr).toMatch(/exists already/);
  });

  it('lists accounts without their hashes and disables one, ending its sessions', async () => {
    const client = await consoleLogin(backend, 'piped@example.com', 'a password from a pipe');
    const cliAsync = (...args: string[]) => runCliAsync(args, env);
    const list = JSON.parse((await cliAsync('console-user', 'list')).stdout);
    expect(list.map((u: { email: string }) => u.email)).toEqual(['olga@example.com', 'piped@example.com']);
    expect(JSON.stringify(list)).not.toMatch(/argon2|password/);
    expect((await cliAsync('console-user', 'disable', 'piped@example.com')).status).toBe(0);
    expect((await client.request('GET', '/session')).status).toBe(401);
    expect((await loginRequest(backend, 'piped@example.com', 'a password from a pipe')).status).toBe(401);
    expect((await cliAsync('console-user', 'disable', 'nobody@example.com')).stderr).toMatch(/No console account/);
  });
});
