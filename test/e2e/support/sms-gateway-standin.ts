/**
 * An SMS gateway as the example workflows call it, on the routed recorder of crm-standin.ts:
 * `POST /messages {to, text, from?}` with `Authorization: Bearer <token>`, answered
 * `201 {id, status: 'queued', to, encoding, segments}`. It enforces what real gateways refuse:
 * no or a wrong token (401), a number that is not E.164 (400), an empty text or one longer than
 * the segment limit (400). What it accepted is kept in `sent`, so a test reads the code from it.
 */
import crypto from 'node:crypto';
import { type CrmStandin, startCrmStandin, type StandinAnswer } from './crm-standin';

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

/** The GSM 03.38 basic character set (one septet each) and its extension table (an escape plus one: two septets). */
const GSM7_BASIC = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
const GSM7_EXTENSION = new Set('^{}\\[~]|€\f');

/** One SMS holds 160 GSM-7 septets or 70 UCS-2 units; a concatenated one loses 7 septets / 3 units per part to its header. */
const SEGMENT = { gsm7: { single: 160, part: 153 }, ucs2: { single: 70, part: 67 } } as const;

export type SmsEncoding = keyof typeof SEGMENT;

export interface SmsSize {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

/** How a gateway counts a text: GSM-7 when every character is in its tables, else UCS-2. */
export function smsSize(text: string): SmsSize {
  const chars = [...text];
  const gsm7 = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const encoding: SmsEncoding = gsm7 ? 'gsm7' : 'ucs2';
  const units = gsm7 ? chars.reduce((sum, c) => sum + (GSM7_EXTENSION.has(c) ? 2 : 1), 0) : text.length;
  const { single, part } = SEGMENT[encoding];
  return { encoding, units, segments: units <= single ? 1 : Math.ceil(units / part) };
}

export interface SentSms {
  id: string;
  to: string;
  from: string | null;
  text: string;
  encoding: SmsEncoding;
  segments: number;
}

export interface SmsGateway extends CrmStandin {
  /** Every message the gateway accepted, in order. */
  sent: SentSms[];
  /** The texts sent to one number. */
  textsTo(phone: string): string[];
}

const gatewayError = (status: number, code: string, message: string): StandinAnswer => ({ status, body: { error: { code, message } } });

export interface SmsGatewayOptions {
  token: string;
  /** The longest concatenated message the account may send (gateways cap it; 3 is common). */
  maxSegments?: number;
}

export async function startSmsGateway({ token, maxSegments = 3 }: SmsGatewayOptions): Promise<SmsGateway> {
  const sent: SentSms[] = [];

  function accept(body: any): StandinAnswer {
    const to = body?.to;
    const text = body?.text;
    if (typeof to !== 'string' || !E164.test(to)) return gatewayError(400, 'invalid_number', `"to" must be an E.164 number such as +79187777777, got ${JSON.stringify(to)}`);
    if (typeof text !== 'string' || text.length === 0) return gatewayError(400, 'empty_text', '"text" is required');
    const size = smsSize(text);
    if (size.segments > maxSegments) return gatewayError(400, 'text_too_long', `${size.units} ${size.encoding} units need ${size.segments} segments; at most ${maxSegments}`);
    const message: SentSms = { id: `msg_${crypto.randomBytes(8).toString('hex')}`, to, from: typeof body.from === 'string' ? body.from : null, text, encoding: size.encoding, segments: size.segments };
    sent.push(message);
    return { status: 201, body: { id: message.id, status: 'queued', to, encoding: size.encoding, segments: size.segments } };
  }

  const standin = await startCrmStandin({
    'POST /messages': ({ headers, body }) => {
      if (headers.authorization !== `Bearer ${token}`) return gatewayError(401, 'unauthorized', 'A valid bearer token is required');
      return accept(body);
    },
  });
  return { ...standin, sent, textsTo: (phone) => sent.filter((m) => m.to === phone).map((m) => m.text) };
}
