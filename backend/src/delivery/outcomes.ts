import type { NewEvent } from '../events/outbox';
import type { TraceHop } from '../traces/traces';
import type { RecipientRow } from './statements/claim-due-recipients';
import type { LoadedMessage } from './statements/load-messages';

/** What happens to a row once its send (or the decision not to send) is known. */
export type RowOutcome =
  | { kind: 'sent'; externalId: string; latencyMs: number; repeatSafe?: true }
  | { kind: 'failed'; reason: string; blocked?: boolean }
  | { kind: 'retry'; reason: string; dueAt: number }
  | { kind: 'release'; dueAt: number }
  | { kind: 'deferred'; dueAt: number; reason?: string }
  | { kind: 'cancelled' }
  | { kind: 'skipped'; reason: string };

/** A claimed row with its outcome, waiting for its group commit. */
export interface Pending {
  row: RecipientRow;
  message: LoadedMessage;
  outcome: RowOutcome;
  /** Whether a send was made (it counts as an attempt). */
  attempted: boolean;
}

/** The row's columns after an outcome known at `now` (the whole row: it is written back with one upsert per batch). */
export function rowAfter({ row, outcome, attempted }: Pending, now: number): RecipientRow {
  // `lease_until` goes back to its value at the claim: the start mark of this attempt is resolved
  // by this outcome, an earlier attempt's unknown outcome is not.
  const next: RecipientRow = { ...row, attempts: row.attempts + (attempted ? 1 : 0), started_at: null, updated_at: now };
  switch (outcome.kind) {
    case 'sent':
      // A repeat-safe send (VK's random_id) settles an earlier attempt's unknown outcome too: at most one copy exists.
      return { ...next, status: 'sent', external_id: outcome.externalId, sent_at: now, error: null, ...(outcome.repeatSafe ? { lease_until: null } : {}) };
    case 'failed':
      return { ...next, status: 'failed', error: outcome.reason.slice(0, 1000) };
    case 'retry':
      return { ...next, status: 'queued', due_at: outcome.dueAt, error: outcome.reason.slice(0, 1000) };
    case 'release':
      return { ...next, status: 'queued', due_at: outcome.dueAt };
    case 'deferred':
      return { ...next, status: 'deferred', due_at: outcome.dueAt, error: outcome.reason ?? next.error };
    case 'cancelled':
      return { ...next, status: 'cancelled', error: 'cancelled before it left' };
    case 'skipped':
      return { ...next, status: 'skipped', error: outcome.reason };
  }
}

/** Events and trace hops of the outcomes that end a recipient's delivery (`row` as written back). */
export function recordsOf({ message, outcome }: Pending, row: RecipientRow): { event?: NewEvent; hop?: TraceHop } {
  const who = { botId: row.bot_id, traceId: message.traceId, leadId: row.lead_id, userId: row.user_id };
  const detail = { messageId: row.message_id, channel: row.channel, chatId: row.chat_id };
  switch (outcome.kind) {
    case 'sent':
      return {
        event: { ...who, type: 'message.sent', payload: { ...detail, externalId: outcome.externalId, attempts: row.attempts, ...uncertainty(row) } },
        hop: { ...who, hop: 'message.sent', status: 'sent', latencyMs: outcome.latencyMs, detail: { ...detail, externalId: outcome.externalId, ...uncertainty(row) } },
      };
    case 'failed':
      return {
        event: { ...who, type: 'message.failed', payload: { ...detail, error: outcome.reason, attempts: row.attempts } },
        hop: { ...who, hop: 'message.failed', status: 'failed', detail: { ...detail, error: outcome.reason } },
      };
    case 'skipped':
      return { hop: { ...who, hop: 'message.skipped', status: 'skipped', detail: { ...detail, reason: outcome.reason } } };
    default:
      return {};
  }
}

/** A row an earlier process started to send and died before recording Telegram's answer may have reached the person twice. */
const uncertainty = (row: RecipientRow) => (row.lease_until === null ? {} : { possibleDuplicate: true });
