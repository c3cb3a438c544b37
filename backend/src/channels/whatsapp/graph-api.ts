import { z } from 'zod';
import type { SendOutcome } from '../channel';

/**
 * The Cloud API's send call and what its answers mean. Codes follow Meta's error reference
 * (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes) and throughput guide
 * (developers.facebook.com/docs/whatsapp/throughput); test/whatsapp-standin answers the same way.
 */

/** A send can also come back as "outside the 24-hour window": the channel then falls back to its template. */
export type GraphOutcome = SendOutcome | { kind: 'outsideWindow'; reason: string };

const sentSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1).max(100) })).min(1) });
const errorSchema = z.object({
  error: z.object({ code: z.number(), message: z.string().default(''), error_data: z.object({ details: z.string().optional() }).optional() }),
});

/** Throughput: 130429 (the number's messages per second), 80007 (the business account's call rate), 4 (the app's call rate). */
const RATE_CODES: readonly number[] = [4, 80007, 130429];
/** Meta's "try again later": 1, 2 (temporary), 131000 (something went wrong), 131016 (service unavailable). */
const TEMPORARY_CODES: readonly number[] = [1, 2, 131000, 131016];
/** Meta asks to wait before retrying a throughput error; it gives no retry-after. */
const RATE_PAUSE_MS = 1_000;

export function classifyGraphError(httpStatus: number, body: unknown): GraphOutcome {
  const parsed = errorSchema.safeParse(body);
  if (!parsed.success) return httpStatus >= 500 ? { kind: 'transient', reason: `HTTP ${httpStatus}` } : { kind: 'permanent', reason: `HTTP ${httpStatus}` };
  const { code, message, error_data } = parsed.data.error;
  const reason = `${code} ${error_data?.details ?? message}`.slice(0, 500);
  if (RATE_CODES.includes(code)) return { kind: 'rateLimited', retryAfterMs: RATE_PAUSE_MS };
  // The pair rate is one person's limit: backing this row off keeps the bot sending to everyone else.
  if (code === 131056) return { kind: 'transient', reason };
  if (code === 131047) return { kind: 'outsideWindow', reason };
  // Not a WhatsApp number, or one that cannot receive now: unreachable until the person writes again.
  if (code === 131026) return { kind: 'blocked', reason };
  if (TEMPORARY_CODES.includes(code) || httpStatus >= 500) return { kind: 'transient', reason };
  return { kind: 'permanent', reason };
}

export interface GraphTarget {
  apiRoot: string;
  phoneNumberId: string;
  accessToken: string;
}

/** POST /{phone-number-id}/messages. Network failures are transient; the token never reaches a reason. */
export async function postMessage(target: GraphTarget, payload: Record<string, unknown>): Promise<GraphOutcome> {
  let response: Response;
  try {
    response = await fetch(`${target.apiRoot}/${target.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', ...payload }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    return { kind: 'transient', reason: `network: ${(error as Error).message}` };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) return classifyGraphError(response.status, body);
  const sent = sentSchema.safeParse(body);
  // Accepted but unreadable: the message may be on its way, so it is not sent again.
  return sent.success ? { kind: 'ok', externalId: sent.data.messages[0].id } : { kind: 'permanent', reason: 'WhatsApp accepted the message with an unreadable answer' };
}
