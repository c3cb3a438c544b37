import { createHmac, timingSafeEqual } from 'crypto';

// The backend's backend/src/events/signature.ts exports the same API; the two packages cannot share
// a module (this one has no dependencies), so test/nodes/signature-agreement.test.ts holds them together.

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
 * The `X-Metabot-Signature` header value `t=<unix seconds>,v2=<hex>`: HMAC-SHA256 keyed with the
 * secret string's UTF-8 bytes over the delivery id (`X-Metabot-Delivery`), a dot, the decimal
 * timestamp, a dot and the exact raw body. The id is signed so that a captured delivery cannot be
 * passed off under another id past the receiver's de-duplication.
 */
export function signWebhook(secret: string, deliveryId: string, rawBody: string, timestampSeconds: number): string {
	const t = Math.floor(timestampSeconds);
	return `t=${t},v2=${hmacHex(secret, `${deliveryId}.${t}.${rawBody}`)}`;
}

/**
 * Checks a delivery as received: the header against the delivery id and the raw body (before any
 * JSON parsing) and the clock. Returns the signed timestamp; throws a WebhookSignatureError
 * otherwise. Any one of several values may match, so a sender can sign with an old and a new secret
 * while rotating. Deprecated, accepted until 0.2.0: `v1` over `<t>.<body>` only, what senders
 * before the `v2` scheme send; it does not cover the delivery id.
 */
export function verifyWebhook(
	secret: string,
	deliveryId: string,
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
	const v2 = Buffer.from(hmacHex(secret, `${deliveryId}.${parsed.t}.${rawBody}`), 'hex');
	const v1 = Buffer.from(hmacHex(secret, `${parsed.t}.${rawBody}`), 'hex');
	if (!parsed.v2.some((given) => sameDigest(given, v2)) && !parsed.v1.some((given) => sameDigest(given, v1))) {
		throw new WebhookSignatureError('mismatch', 'Signature does not match');
	}
	return parsed.t;
}

function hmacHex(secret: string, message: string): string {
	return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** Constant time; timingSafeEqual throws on buffers of different lengths, so those are unequal first. */
function sameDigest(givenHex: string, expected: Buffer): boolean {
	const given = Buffer.from(givenHex, 'hex');
	return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `t=…` once, `v2=…` / `v1=…` one or more times, in any order; parts it does not know are skipped. */
function parseHeader(header: string): { t: number; v1: string[]; v2: string[] } | undefined {
	let t: number | undefined;
	const digests: Record<string, string[]> = { v1: [], v2: [] };
	for (const part of header.split(',')) {
		const [key, value] = part.trim().split('=', 2);
		// At most 12 digits: any larger t is no time a clock shows, and stays an exact number.
		if (key === 't' && /^\d{1,12}$/.test(value ?? '')) t = Number(value);
		if ((key === 'v1' || key === 'v2') && /^[0-9a-f]{64}$/i.test(value ?? '')) digests[key].push(value.toLowerCase());
	}
	const { v1, v2 } = digests;
	return t === undefined || v1.length + v2.length === 0 ? undefined : { t, v1, v2 };
}
