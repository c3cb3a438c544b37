import type { SendOutcome } from '../channels/channel';
import { isPaused } from '../identity/accounts';
import type { DeliveryLeadState } from '../identity/recipients';
import type { Config } from '../platform/config/config';
import type { RowOutcome } from './outcomes';
import type { RecipientRow } from './statements/claim-due-recipients';
import type { LoadedMessage } from './statements/load-messages';

/**
 * The delivery policy, as pure functions: what becomes of a claimed row before its send and after
 * the channel's answer. Times are the database clock's (`now`); nothing here reads a clock or the database.
 */

/** When a chat may take the row's message: spaced after the copies earlier in this batch, else after its last send. */
export function chatFreeAt(earlierInBatch: number, busyUntil: number | undefined, now: number, spacingMs: number): number | undefined {
  return earlierInBatch > 0 ? now + earlierInBatch * spacingMs : busyUntil;
}

/** Why a row refused for its topic is skipped: the person stopped the topic's non-critical messages. */
export const TOPIC_STOPPED = 'topic_stopped: the person stopped this topic\'s messages';

/**
 * Before any send: undefined to send now, else wait for the chat, defer for a pause, or skip.
 * `topicStopped`: the row came through a topic whose messages the person stopped; like a pause, a
 * critical message passes it.
 */
export function beforeSend(lead: DeliveryLeadState | undefined, message: LoadedMessage, now: number, freeAt: number | undefined, topicStopped = false): RowOutcome | undefined {
  if (!lead) return { kind: 'skipped', reason: 'the lead no longer exists' };
  if (!lead.reachable) return { kind: 'skipped', reason: 'the person blocked the bot' };
  if (lead.state && lead.state !== 'active' && !message.notice) return { kind: 'skipped', reason: `the user is ${lead.state}` };
  if (topicStopped && !message.critical && !message.notice) return { kind: 'skipped', reason: TOPIC_STOPPED };
  if (isPaused(lead, now) && !message.critical) return { kind: 'deferred', dueAt: lead.pausedUntil!, reason: `the user is paused until ${new Date(lead.pausedUntil!).toISOString()}` };
  if (freeAt !== undefined && freeAt > now) return { kind: 'release', dueAt: freeAt };
  return undefined;
}

export type RetryConfig = Pick<Config, 'DELIVERY_MAX_ATTEMPTS' | 'DELIVERY_BACKOFF_BASE_MS' | 'DELIVERY_BACKOFF_CAP_MS'>;

export interface SendResult {
  result: SendOutcome;
  latencyMs: number;
}

/** After the channel answered at `now`. `jitter` in [0, 1) spreads the retries of a burst of failures. */
export function afterSend(row: RecipientRow, { result, latencyMs }: SendResult, now: number, config: RetryConfig, jitter: number): RowOutcome {
  const attempts = row.attempts + 1;
  switch (result.kind) {
    case 'ok':
      return { kind: 'sent', externalId: result.externalId, latencyMs, ...(result.repeatSafe ? { repeatSafe: true as const } : {}) };
    case 'blocked':
      return { kind: 'failed', reason: result.reason, blocked: true };
    case 'permanent':
      return { kind: 'failed', reason: result.reason };
    case 'rateLimited':
      return { kind: 'release', dueAt: now + result.retryAfterMs };
    case 'transient':
      if (attempts >= config.DELIVERY_MAX_ATTEMPTS) return { kind: 'failed', reason: `gave up after ${attempts} attempts: ${result.reason}` };
      return { kind: 'retry', reason: result.reason, dueAt: now + backoffMs(config, attempts, jitter) };
  }
}

function backoffMs(config: RetryConfig, attempts: number, jitter: number): number {
  const exponential = Math.min(config.DELIVERY_BACKOFF_CAP_MS, config.DELIVERY_BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.75 + jitter * 0.25));
}
