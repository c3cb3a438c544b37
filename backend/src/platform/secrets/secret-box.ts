import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context';
import { makePrivateDir } from '../private-files';

const keys = new Map<string, Buffer>();

/**
 * The 32-byte key for secrets at rest: SECRET_KEY, or a key generated once into `SECRET_KEY_FILE`
 * (default `${DATA_DIR}/secret.key`, mode 0600) so a laptop setup works without configuration.
 */
export function secretKey(ctx: Pick<AppContext, 'config' | 'logger'>): Buffer {
  if (ctx.config.SECRET_KEY) return Buffer.from(ctx.config.SECRET_KEY, 'hex');
  const file = ctx.config.secretKeyFile;
  const cached = keys.get(file);
  if (cached) return cached;
  let hex: string;
  try {
    hex = fs.readFileSync(file, 'utf8').trim();
  } catch {
    hex = crypto.randomBytes(32).toString('hex');
    // A missing folder is made 0700; an existing one is the operator's choice (SECRET_KEY_FILE may point anywhere).
    if (!fs.existsSync(path.dirname(file))) makePrivateDir(path.dirname(file));
    try {
      writeNewPrivateFile(file, `${hex}\n`);
      ctx.logger.warn({ file }, 'SECRET_KEY is not set: generated a key for secrets at rest; keep this file (or set SECRET_KEY) or stored bot tokens cannot be read');
    } catch {
      hex = fs.readFileSync(file, 'utf8').trim(); // another process wrote it first
    }
  }
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${file} does not hold a 64-hex-character key`);
  const key = Buffer.from(hex, 'hex');
  keys.set(file, key);
  return key;
}

/** Writes a file that must not exist yet (`wx`: another process may be writing it), 0600 whatever the umask. */
function writeNewPrivateFile(file: string, text: string): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** AES-256-GCM; the output carries its IV and tag: `iv.tag.ciphertext` in base64url. */
export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
}

/** Stored by the events capability before it used this box (sealed with SECRET_KEY). */
const LEGACY_PREFIX = 'gcm1:';

export function decryptSecret(key: Buffer, stored: string): string {
  const sealed = stored.startsWith(LEGACY_PREFIX) ? stored.slice(LEGACY_PREFIX.length) : stored;
  const [iv, tag, ciphertext] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !ciphertext) throw new Error('malformed sealed secret');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}
