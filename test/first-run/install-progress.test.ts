/**
 * scripts/install-n8n.sh's progress line, with a stand-in npm on PATH (a slow install that writes
 * node_modules only after a while): no "( MB so far)" while there is no size to tell.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const script = path.resolve(__dirname, '../../scripts/install-n8n.sh');
const run = promisify(execFile);

function fakeNpm(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  // `npm install` waits, then writes 2 MB into node_modules and waits again; `npm rebuild` does nothing.
  const npm = '#!/usr/bin/env bash\nif [ "$1" = install ]; then sleep 1.2; mkdir -p node_modules; head -c 2097152 /dev/zero > node_modules/blob; sleep 1.2; fi\n';
  fs.writeFileSync(path.join(bin, 'npm'), npm, { mode: 0o755 });
  return bin;
}

describe('scripts/install-n8n.sh progress', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-install-n8n-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says "starting…" until node_modules has a size, then the size', async () => {
    const env = { ...process.env, PATH: `${fakeNpm(dir)}:${process.env.PATH}`, METABOT_N8N_CACHE: path.join(dir, 'cache'), METABOT_N8N_PROGRESS_SECONDS: '0.5' };
    const { stderr } = await run('bash', [script], { env });
    const progress = stderr.split('\n').filter((line) => line.includes('still installing'));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.join('\n')).not.toMatch(/\( MB so far\)/);
    expect(progress[0]).toMatch(/\(starting…\)/);
    expect(progress[progress.length - 1]).toMatch(/\(\d+ MB so far\)/);
  });
});
