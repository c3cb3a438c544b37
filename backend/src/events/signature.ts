import crypto from 'node:crypto';

// The n8n package's nodes/shared/signature.ts exports the same API; the two packages cannot share
// a module (that one has no dependencies), so test/nodes/signature-agreement.test.ts holds them together.

/** Deliveries signed longer ago (or further ahead) than this are refused, against replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type WebhookSignatureReason = 'malformed' | 'stale' | 'mismatch';

/** A refused `X-Metabot-Signature`: `reason` for code, the message for the sender. */
export class WebhookSignatureError extends Error {
  readonly reason: WebhookSignatureReason;

  constructor(reason: WebhookSignatureReason, message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.reason = reason;
  }
}

/**
 * The `X-Metabot-Signature` header value `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 keyed with the
 * secret string's UTF-8 bytes over the decimal timestamp, a dot and the exact raw body.
 */
export function signWebhook(secret: string, rawBody: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${hmacHex(secret, `${t}.${rawBody}`)}`;
}

/**
 * Checks a delivery as received: the header against the raw body (before any JSON parsing) and the
 * clock. Returns the signed timestamp; throws a WebhookSignatureError otherwise. Any one of several
 * `v1` values may match, so a sender can sign with an old and a new secret while rotating.
 */
export function verifyWebhook(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): number {
  if (!header) throw new WebhookSignatureError('malformed', 'Missing X-Metabot-Signature header');
  const parsed = parseHeader(header);
  if (!parsed) throw new WebhookSignatureError('malformed', 'Malformed X-Metabot-Signature header');
  if (Math.abs(nowSeconds - parsed.t) > toleranceSeconds) {
    throw new WebhookSignatureError('stale', 'Signature timestamp outside the tolerance window');
  }
  const expected = Buffer.from(hmacHex(secret, `${parsed.t}.${rawBody}`), 'hex');
  if (!parsed.v1.some((given) => sameDigest(given, expected))) {
    throw new WebhookSignatureError('mismatch', 'Signature does not match');
  }
  return parsed.t;
}

function hmacHex(secret: string, message: string): string {
  return crypto.createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** Constant time; timingSafeEqual throws on buffers of different lengths, so those are unequal first. */
function sameDigest(givenHex: string, expected: Buffer): boolean {
  const given = Buffer.from(givenHex, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** `t=…` once, `v1=…` one or more times, in any order; parts it does not know are skipped. */
function parseHeader(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    // At most 12 digits: any larger t is no time a clock shows, and stays an exact number.
    if (key === 't' && /^\d{1,12}$/.test(value ?? '')) t = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value ?? '')) v1.push(value.toLowerCase());
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}
