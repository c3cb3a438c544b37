/**
 * The one retry schedule of calls to n8n (event webhooks and send-and-wait resumes): the first
 * attempt at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts over ~27.6 h.
 */
export const RETRY_DELAYS_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** How long one attempt waits for the subscriber's answer. */
export const DELIVERY_TIMEOUT_MS = 15_000;

/** When the attempt after `attempts` failed ones is due, or undefined once they are used up. */
export function nextAttemptAt(now: number, attempts: number): number | undefined {
  return attempts >= MAX_ATTEMPTS ? undefined : now + RETRY_DELAYS_MS[attempts - 1];
}
