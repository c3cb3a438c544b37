/**
 * The launcher behind `npm start` (compiled: run `npm run build` first), backend half: what a first
 * and a second run do in one data folder, the Telegram token, and a bad setting. The whole path with
 * n8n is what CI runs itself: `npm start -- --check` in .ci/run.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveNodeFlags, startBackend } from '../../scripts/first-run/backend';
import { freePort } from '../../scripts/first-run/processes';
import { TelegramStandin } from '../telegram-standin';

const root = path.resolve(__dirname, '../..');
const launcher = path.join(root, 'scripts/first-run/dist/main.js');
const cli = path.join(root, 'backend/dist/main.js');
const run = promisify(execFile);

jest.setTimeout(120_000);

describe('npm start (scripts/first-run), backend only', () => {
  let dataDir: string;
  let standin: TelegramStandin;
  let port: number;
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', SECRET_KEY: 'b'.repeat(64), ...extra });
  const start = (extra: Record<string, string> = {}) => run(process.execPath, [launcher, '--backend-only', '--check'], { env: env(extra), cwd: root });

  beforeAll(async () => {
    if (!fs.existsSync(launcher)) throw new Error('scripts/first-run is not built: run npm run build');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-first-run-test-'));
    standin = await TelegramStandin.start();
    port = await freePort();
  });
  afterAll(async () => {
    await standin.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a first run creates the demo bot with the examples\' map and a token, and the backend answers', async () => {
    const { stdout } = await start();
    expect(stdout).toContain('created the demo bot (id 1)');
    expect(stdout).toMatch(/imported the examples' communication map \(\d+ endpoints\)/);
    expect(stdout).toMatch(/Swagger: +http:\/\/127\.0\.0\.1:\d+\/docs/);
    expect(stdout).toMatch(/created the console account admin@example\.com \(admin\)/);
    expect(stdout).toMatch(/console: +http:\/\/127\.0\.0\.1:\d+\/console +login admin@example\.com \/ \S{12,}/);
    expect(stdout).toContain('check passed');
    expect(fs.readFileSync(path.join(dataDir, 'demo-token.txt'), 'utf8')).toMatch(/^mbt_/);
    expect(fs.statSync(path.join(dataDir, 'demo-token.txt')).mode & 0o077).toBe(0);
  });

  it('a second run repeats nothing; a Telegram token is given to the demo bot once', async () => {
    const telegram = standin.createBot({ username: 'demo_bot' });
    const withToken = { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: standin.apiRoot };
    const second = await start(withToken);
    expect(second.stdout).not.toMatch(/created|imported/);
    expect(second.stdout).toContain('gave the demo bot your TELEGRAM_BOT_TOKEN');
    const third = await start(withToken);
    expect(third.stdout).not.toMatch(/created|imported|gave the demo bot/);

    const bots = JSON.parse((await run(process.execPath, [cli, 'bot', 'list'], { env: env() })).stdout);
    expect(bots).toEqual([expect.objectContaining({ id: 1, name: 'Demo bot' })]);
    const map = JSON.parse((await run(process.execPath, [cli, 'map', 'versions', '--bot', '1'], { env: env() })).stdout);
    expect(map).toHaveLength(1);
  });

  it('starts the backend with the Node flags of `metabot-backend serve` (its shebang)', async () => {
    const shebang = fs.readFileSync(cli, 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${serveNodeFlags(root).join(' ')}`);
    expect(serveNodeFlags(root)).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
    const backend = await startBackend({ root, dataDir, env: env() }, `http://127.0.0.1:${port}`);
    try {
      const argv = fs.readFileSync(`/proc/${backend.process.pid}/cmdline`, 'utf8').split('\0');
      expect(argv.slice(1, -1)).toEqual([...serveNodeFlags(root), cli, 'serve']);
    } finally {
      await backend.stop();
    }
  });

  it('a bad setting stops with a message naming it, before anything starts', async () => {
    const failed = await start({ PORT: 'eighty' }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('PORT') });
  });
});
