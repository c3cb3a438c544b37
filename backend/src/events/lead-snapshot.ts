import type { Knex } from 'knex';
import { fromJson } from '../platform/db/database';
import { type Lead, type LeadRow, profileFromRow } from '../identity/leads';

/** The lead as a webhook shows it (docs/ARCHITECTURE.md, "Webhook body"). */
export type LeadSnapshot = Pick<Lead, 'id' | 'channel' | 'chatId' | 'profile' | 'attributes'>;

/** The leads of a batch of events as they are now, in one query; a deleted lead is absent. */
export async function leadSnapshots(db: Knex, leadIds: Array<string | null>): Promise<Map<string, LeadSnapshot>> {
  const ids = [...new Set(leadIds.filter((id): id is string => id !== null))];
  const rows: LeadRow[] = ids.length > 0 ? await db<LeadRow>('leads').whereIn('id', ids) : [];
  return new Map(
    rows.map((row) => [
      row.id,
      { id: row.id, channel: row.channel as Lead['channel'], chatId: row.chat_id, profile: profileFromRow(row), attributes: fromJson(row.attributes) },
    ]),
  );
}
