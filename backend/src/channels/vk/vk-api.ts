import { z } from 'zod';
import type { Config } from '../../platform/config/config';
import type { SendOutcome } from '../channel';

/**
 * VK's API methods and what their answers mean. Requests follow dev.vk.com/ru/api/api-requests
 * (POST `<root>/<method>`, form-encoded, `access_token` and `v` on every call); error codes follow
 * VK's published schema (github.com/VKCOM/vk-api-schema, errors.json). test/vk-standin answers the same way.
 */

export type VkConfig = Pick<Config, 'VK_API_ROOT' | 'VK_API_VERSION' | 'VK_RATE_PER_SECOND'>;

/** An error answer of a method: `{error: {error_code, error_msg}}` with HTTP 200. */
export class VkApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(`${code} ${description}`.slice(0, 500));
  }
}

/** The request never got an answer VK could have given (network, timeout, 5xx, not JSON). */
export class VkUnreachable extends Error {}

const answerSchema = z.union([
  z.object({ response: z.unknown() }),
  z.object({ error: z.object({ error_code: z.number(), error_msg: z.string().default('') }) }),
]);

/**
 * Spaces each community token's calls at VK_RATE_PER_SECOND (VK allows a community token 20 calls
 * a second; more answer error 6): every call takes the next free slot of its token. Per process:
 * several processes sharing a token keep to it together only as far as error 6 pauses the bot.
 */
export class VkPacer {
  private readonly nextSlot = new Map<number, number>();

  constructor(private readonly ratePerSecond: number) {}

  async turn(groupId: number): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot.get(groupId) ?? 0);
    this.nextSlot.set(groupId, slot + 1000 / this.ratePerSecond);
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}

export interface VkTarget {
  config: VkConfig;
  pacer: VkPacer;
  groupId: number;
  accessToken: string;
}

/** Calls one method; resolves with its `response`, throws VkApiError (VK said no) or VkUnreachable. The token never reaches a message. */
export async function callVk(target: VkTarget, method: string, params: Record<string, string | number | undefined>): Promise<unknown> {
  await target.pacer.turn(target.groupId);
  const form = new URLSearchParams({ v: target.config.VK_API_VERSION, access_token: target.accessToken });
  for (const [key, value] of Object.entries(params)) if (value !== undefined) form.set(key, String(value));
  let response: Response;
  try {
    response = await fetch(`${target.config.VK_API_ROOT}/${method}`, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new VkUnreachable(`network: ${(error as Error).message}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  const answer = answerSchema.safeParse(body);
  if (!answer.success) throw new VkUnreachable(`HTTP ${response.status}`);
  if ('error' in answer.data) throw new VkApiError(answer.data.error.error_code, answer.data.error.error_msg);
  return answer.data.response;
}

/** 6 too many requests per second, 9 flood control: the token's limit, so the whole bot waits. */
const RATE_CODES: readonly number[] = [6, 9];
/** 900 the person blacklisted the community, 901 they have not allowed its messages, 902 their privacy settings, 18 deleted or banned. */
const UNREACHABLE_CODES: readonly number[] = [18, 900, 901, 902];
/** 1 unknown error, 10 internal server error: VK asks to try again later. */
const TEMPORARY_CODES: readonly number[] = [1, 10];
/** VK names no retry-after for error 6; a second is the window its limit counts in. */
const RATE_PAUSE_MS = 1_000;

/** A method's failure → what the delivery worker does next. */
export function classifyVkFailure(error: unknown): SendOutcome {
  if (error instanceof VkUnreachable) return { kind: 'transient', reason: error.message };
  if (!(error instanceof VkApiError)) return { kind: 'transient', reason: (error as Error)?.message ?? String(error) };
  const reason = error.message;
  if (RATE_CODES.includes(error.code)) return { kind: 'rateLimited', retryAfterMs: RATE_PAUSE_MS };
  // Until the person allows messages again (a message_allow update, or they write) the lead is unreachable.
  if (UNREACHABLE_CODES.includes(error.code)) return { kind: 'blocked', reason };
  if (TEMPORARY_CODES.includes(error.code)) return { kind: 'transient', reason };
  // 5: the token was revoked or is wrong — every send fails until it is replaced (bot set-vk); 7: it lacks the messages right.
  if (error.code === 5 || error.code === 7) return { kind: 'permanent', reason: `${reason} (the community token: replace it with bot set-vk)` };
  return { kind: 'permanent', reason };
}
