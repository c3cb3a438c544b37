import { createHmac, timingSafeEqual } from 'crypto';

/** Deliveries signed longer ago (or further ahead) than this are refused, against replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/** `X-Metabot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signPayload(secret: string, timestamp: number, rawBody: string): string {
	const digest = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
	return `t=${timestamp},v1=${digest}`;
}

function parseHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
	let timestamp: number | undefined;
	const signatures: string[] = [];
	for (const part of header.split(',')) {
		const [key, value] = part.trim().split('=', 2);
		if (key === 't' && /^\d+$/.test(value ?? '')) timestamp = Number(value);
		if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value ?? '')) signatures.push(value.toLowerCase());
	}
	if (timestamp === undefined || signatures.length === 0) return undefined;
	return { timestamp, signatures };
}

export function verifySignature(
	secret: string,
	header: string | undefined,
	rawBody: string,
	nowSeconds: number,
): SignatureCheck {
	if (!header) return { valid: false, reason: 'Missing X-Metabot-Signature header' };
	const parsed = parseHeader(header);
	if (!parsed) return { valid: false, reason: 'Malformed X-Metabot-Signature header' };
	if (Math.abs(nowSeconds - parsed.timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
		return { valid: false, reason: 'Signature timestamp outside the tolerance window' };
	}
	const expected = Buffer.from(signPayload(secret, parsed.timestamp, rawBody).split('v1=')[1], 'hex');
	const matches = parsed.signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
	return matches ? { valid: true } : { valid: false, reason: 'Signature does not match' };
}
