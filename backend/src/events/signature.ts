import crypto from 'node:crypto';

/** How far a signature's timestamp may be from the verifier's clock (replay window). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * `X-Metabot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The key is
 * the secret string as UTF-8 bytes, the message is the decimal timestamp, a dot and the exact bytes
 * of the request body.
 */
export function signatureHeader(secret: string, rawBody: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, `${t}.${rawBody}`)}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** Verifies a signature header against the raw body, as a subscriber (the n8n trigger) does. */
export function verifySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowMs: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  const parts = parseHeader(header ?? '');
  if (!parts) return { valid: false, reason: 'malformed' };
  if (Math.abs(Math.floor(nowMs / 1000) - parts.t) > toleranceSeconds) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(secret, `${parts.t}.${rawBody}`), 'hex');
  const matches = parts.v1.some((given) => {
    const candidate = Buffer.from(given, 'hex');
    return candidate.length === expected.length && crypto.timingSafeEqual(candidate, expected);
  });
  return matches ? { valid: true, timestamp: parts.t } : { valid: false, reason: 'mismatch' };
}

function hmacHex(secret: string, message: string): string {
  return crypto.createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** `t=…` once, `v1=…` one or more times (several while a secret is being rotated), in any order. */
function parseHeader(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value ?? '')) t = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value ?? '')) v1.push(value.toLowerCase());
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}
