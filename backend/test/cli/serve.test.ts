/**
 * How the backend starts as users run it (docs/ARCHITECTURE.md, "Memory at start"): with the Node
 * flags of the binary's shebang, which `npm start -w backend` repeats (the first-run launcher reads
 * them: test/first-run), and without the modules that load on first use. The server runs in a child process: this one's module
 * cache is jest's.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBuiltCli } from '../support/cli';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

jest.setTimeout(60_000);

/** The flags after `#!/usr/bin/env -S node` in backend/src/main.ts (the source of dist/main.js's). */
function shebangFlags(): string[] {
  const shebang = fs.readFileSync(path.join(root, 'backend/src/main.ts'), 'utf8').split('\n')[0];
  expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node /);
  return shebang.replace(/^#!\/usr\/bin\/env -S node /, '').split(' ');
}

// Started on SQLite: on PostgreSQL node-postgres is needed at start, and the rest is the same code.
const LOADED_ON_FIRST_USE = ['liquidjs', 'pg', 'libphonenumber-js', 'ajv', 'ajv-formats', 're2js', '@node-rs/argon2', 'csv-parse', 'csv-stringify'];

describe('metabot-backend serve', () => {
  it('runs with a small young generation, the same flags on every launch path', () => {
    const flags = shebangFlags();
    expect(flags).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
    const { scripts } = JSON.parse(fs.readFileSync(path.join(root, 'backend/package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(`node ${flags.join(' ')} dist/main.js serve`);
  });

  it('starts without the modules that load on first use, its young generation within the flag', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-serve-'));
    const server = path.join(path.dirname(ensureBuiltCli()), 'server.js');
    const script = `
      const v8 = require('node:v8');
      require(${JSON.stringify(server)}).startServer().then(async (running) => {
        const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
        process.stdout.write(JSON.stringify({ files: Object.keys(require.cache), youngBytes: young.space_size }));
        await running.close();
      });`;
    try {
      const env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SECRET_KEY: 'b'.repeat(64) };
      const { stdout } = await run(process.execPath, [...shebangFlags(), '-e', script], { env, cwd: root });
      const { files, youngBytes } = JSON.parse(stdout) as { files: string[]; youngBytes: number };
      const packageOf = (file: string) => file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1];
      const loaded = new Set(files.map(packageOf));
      expect(loaded).toContain('knex');
      expect(LOADED_ON_FIRST_USE.filter((name) => loaded.has(name))).toEqual([]);
      const semiSpaceMb = Number(shebangFlags().find((flag) => flag.startsWith('--max-semi-space-size='))?.split('=')[1]);
      // Two semi-spaces of at most that size (V8 rounds up to whole pages).
      expect(youngBytes).toBeLessThanOrEqual(2 * semiSpaceMb * 1024 * 1024 + 512 * 1024);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
