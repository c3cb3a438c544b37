import crypto from 'node:crypto';

const SEALED_PREFIX = 'gcm1:';

/**
 * Seals a stored secret with AES-256-GCM under SECRET_KEY (64 hex). Without a key the value is kept
 * as is; `open` reads both forms, so setting SECRET_KEY later only protects secrets created after.
 */
export function seal(plain: string, secretKeyHex: string | undefined): string {
  if (!secretKeyHex) return plain;
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(secretKeyHex, 'hex'), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

export function open(stored: string, secretKeyHex: string | undefined): string {
  if (!stored.startsWith(SEALED_PREFIX)) return stored;
  if (!secretKeyHex) throw new Error('A sealed secret needs SECRET_KEY to be opened');
  const [iv, tag, data] = stored.slice(SEALED_PREFIX.length).split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = crypto.createDecipheriv('aes-256-gcm', Buffer.from(secretKeyHex, 'hex'), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}
