import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dialect, startTestBackend } from '../support/test-backend';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

/** Runs `body` with the most permissive umask, so the modes seen are the ones the backend set itself. */
async function underOpenUmask<T>(body: () => Promise<T>): Promise<T> {
  const previous = process.umask(0);
  try {
    return await body();
  } finally {
    process.umask(previous);
  }
}

describe(`data at rest (${dialect})`, () => {
  let parent: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-modes-'));
  });
  afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('creates DATA_DIR 0700 and the generated secret.key 0600 (and, on SQLite, metabot.sqlite with its -wal and -shm 0600), whatever the umask', async () => {
    const dataDir = path.join(parent, 'data');
    const backend = await underOpenUmask(() => startTestBackend({ env: { DATA_DIR: dataDir } }));
    try {
      const { botId } = await backend.createBot();
      expect((await backend.request('POST', `/chat/${botId}/api/visitors`)).status).toBe(201); // signs with the key: generates it
      expect(modeOf(dataDir)).toBe(0o700);
      const files = fs.readdirSync(dataDir);
      expect(files).toContain('secret.key');
      if (dialect === 'sqlite') expect(files).toEqual(expect.arrayContaining(['metabot.sqlite', 'metabot.sqlite-wal', 'metabot.sqlite-shm']));
      for (const file of files) expect(`${file} ${modeOf(path.join(dataDir, file)).toString(8)}`).toBe(`${file} 600`);
    } finally {
      await backend.close();
    }
  });

  it('tightens a data folder and database files left world-readable by an earlier version', async () => {
    const dataDir = path.join(parent, 'old');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const database = path.join(dataDir, 'metabot.sqlite');
    if (dialect === 'sqlite') fs.writeFileSync(database, '', { mode: 0o644 });
    const backend = await startTestBackend({ env: { DATA_DIR: dataDir, SECRET_KEY: 'e'.repeat(64) } });
    try {
      expect(modeOf(dataDir)).toBe(dialect === 'sqlite' ? 0o700 : 0o755);
      if (dialect === 'sqlite') expect(modeOf(database)).toBe(0o600);
    } finally {
      await backend.close();
    }
  });

  it('keeps the generated key where SECRET_KEY_FILE says, outside DATA_DIR', async () => {
    const keyFile = path.join(parent, 'keys', 'metabot.key');
    const backend = await underOpenUmask(() => startTestBackend({ env: { SECRET_KEY_FILE: keyFile } }));
    try {
      const { botId } = await backend.createBot();
      expect((await backend.request('POST', `/chat/${botId}/api/visitors`)).status).toBe(201);
      expect(modeOf(keyFile)).toBe(0o600);
      expect(modeOf(path.dirname(keyFile))).toBe(0o700);
      expect(fs.existsSync(path.join(backend.dataDir, 'secret.key'))).toBe(false);
    } finally {
      await backend.close();
    }
  });
});
