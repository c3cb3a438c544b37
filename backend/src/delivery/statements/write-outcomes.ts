import type { Knex } from 'knex';
import { recordEvents } from '../../events/outbox';
import { markLeadUnreachable } from '../../identity/leads';
import type { AppContext } from '../../platform/context';
import { appendTraceHops } from '../../traces/traces';
import { type Pending, recordsOf, rowAfter } from '../outcomes';

const UPDATED_COLUMNS = ['status', 'attempts', 'due_at', 'lease_until', 'external_id', 'error', 'sent_at', 'updated_at'];

/** Writes a batch of outcomes inside `trx`: one upsert for the rows, one insert for events, one for trace hops. */
export async function writeOutcomes(trx: Knex, ctx: AppContext, items: Pending[]): Promise<void> {
  const rows = items.map((item) => rowAfter(item, ctx.clock.now()));
  await trx('message_recipients').insert(rows).onConflict('id').merge(UPDATED_COLUMNS);
  const records = items.map((item, i) => recordsOf(item, rows[i]));
  await recordEvents(trx, ctx, records.flatMap((r) => (r.event ? [r.event] : [])));
  await appendTraceHops(trx, ctx.clock, records.flatMap((r) => (r.hop ? [r.hop] : [])));
  for (const { row, message, outcome } of items) {
    if (outcome.kind === 'failed' && outcome.blocked) {
      await markLeadUnreachable(trx, ctx, { botId: row.bot_id, leadId: row.lead_id, traceId: message.traceId });
    }
  }
}
