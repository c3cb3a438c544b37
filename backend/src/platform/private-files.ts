import fs from 'node:fs';

/**
 * The data folder and its files are the owner's alone (0700 / 0600): they hold personal data and
 * the key to the stored secrets. Modes are set with chmod after creating, because the mode given to
 * mkdir or open is filtered through the process umask.
 */
export function makePrivateDir(dir: string): void {
  const existed = fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A folder made by an earlier version (0755) is tightened; one owned by someone else is left as it is.
  if (!existed || fs.statSync(dir).uid === process.getuid?.()) fs.chmodSync(dir, 0o700);
}

/** Creates `file` empty when missing, and makes it (new or not) readable and writable by the owner only. */
export function makePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

/** Tightens the files of this list that exist (a SQLite database's -wal and -shm come and go). */
export function restrictExisting(files: string[]): void {
  for (const file of files) if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
}

/** Writes a new file readable and writable by the owner only; an existing file of that name is an error, never overwritten. */
export async function writePrivateFile(file: string, bytes: Uint8Array): Promise<void> {
  await fs.promises.writeFile(file, bytes, { mode: 0o600, flag: 'wx' });
  await fs.promises.chmod(file, 0o600);
}
