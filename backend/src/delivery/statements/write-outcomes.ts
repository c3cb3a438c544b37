import type { Knex } from 'knex';
import { recordEvents } from '../../events/outbox';
import { markLeadUnreachable } from '../../identity/leads';
import type { AppContext } from '../../platform/context';
import { appendTraceHops } from '../../traces/traces';
import { type Pending, recordsOf, rowAfter } from '../outcomes';

const UPDATED_COLUMNS = ['attempts', 'due_at', 'lease_until', 'started_at', 'external_id', 'error', 'sent_at', 'updated_at'];

/**
 * A row a cancel reached while it was claimed does not go back to waiting (a retry, a release, a
 * deferral): it ends cancelled. An outcome that ends the row (sent on the wire before the cancel,
 * failed, skipped) stands.
 */
const STATUS_AFTER_CANCEL = "case when message_recipients.cancelled_at is not null and excluded.status in ('queued', 'scheduled', 'deferred') then 'cancelled' else excluded.status end";

/** Writes a batch of outcomes inside `trx`: one upsert for the rows, one insert for events, one for trace hops. */
export async function writeOutcomes(trx: Knex, ctx: AppContext, items: Pending[]): Promise<void> {
  const rows = items.map((item) => rowAfter(item, ctx.clock.now()));
  const merged = Object.fromEntries(UPDATED_COLUMNS.map((c) => [c, trx.raw('excluded.??', [c])]));
  await trx('message_recipients').insert(rows).onConflict('id').merge({ ...merged, status: trx.raw(STATUS_AFTER_CANCEL) });
  const records = items.map((item, i) => recordsOf(item, rows[i]));
  await recordEvents(trx, ctx, records.flatMap((r) => (r.event ? [r.event] : [])));
  await appendTraceHops(trx, ctx.clock, records.flatMap((r) => (r.hop ? [r.hop] : [])));
  for (const { row, message, outcome } of items) {
    if (outcome.kind === 'failed' && outcome.blocked) {
      await markLeadUnreachable(trx, ctx, { botId: row.bot_id, leadId: row.lead_id, traceId: message.traceId });
    }
  }
}
