import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context';

const keys = new Map<string, Buffer>();

/**
 * The 32-byte key for secrets at rest: SECRET_KEY, or a key generated once into
 * `${DATA_DIR}/secret.key` (mode 0600) so a laptop setup works without configuration.
 */
export function secretKey(ctx: Pick<AppContext, 'config' | 'logger'>): Buffer {
  if (ctx.config.SECRET_KEY) return Buffer.from(ctx.config.SECRET_KEY, 'hex');
  const file = path.resolve(ctx.config.DATA_DIR, 'secret.key');
  const cached = keys.get(file);
  if (cached) return cached;
  let hex: string;
  try {
    hex = fs.readFileSync(file, 'utf8').trim();
  } catch {
    hex = crypto.randomBytes(32).toString('hex');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, `${hex}\n`, { mode: 0o600, flag: 'wx' });
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
