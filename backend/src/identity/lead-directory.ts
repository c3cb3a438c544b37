import type { Knex } from 'knex';
import { z } from 'zod';
import { channelNameSchema } from '../channels/inbound-update';
import { isPostgres, toJson, fromJson } from '../platform/db/database';
import type { CountryCode } from 'libphonenumber-js';
import { invalid } from '../platform/errors';
import { type Lead, type LeadRow, normalizeEmail, toLead } from './leads';
import { namesInUse } from './names-in-use';
import { toE164 } from './phones';

export const leadFiltersSchema = z.object({
  userId: z.string().min(1).max(200).optional(),
  phone: z.string().min(1).max(64).optional(),
  email: z.string().min(1).max(320).optional(),
  channel: channelNameSchema.optional(),
  chatId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type LeadFilters = z.infer<typeof leadFiltersSchema>;

type LeadWithUser = LeadRow & { user_id: string | null };

/** The cursor is the last lead id of a page, opaque to callers. */
function decodeCursor(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
}

function encodeCursor(leadId: string): string {
  return Buffer.from(leadId, 'utf8').toString('base64url');
}

function leadsWithUser(db: Knex, botId: number): Knex.QueryBuilder {
  return db('leads as l')
    .leftJoin('links as k', function connected() {
      this.on('k.lead_id', '=', 'l.id').andOnVal('k.status', '=', 'connected');
    })
    .where('l.bot_id', botId)
    .select('l.*', 'k.user_id');
}

/** A phone to look up, as stored (E.164); text that is not a phone number is a 422 naming `path`. */
export function lookupPhone(text: string, country: CountryCode, path = 'phone'): string {
  const phone = toE164(text, country);
  if (phone === undefined) throw invalid('Invalid phone number', [{ path, message: `not a valid phone number (numbers without a country code are read as ${country})` }]);
  return phone;
}

/**
 * Leads of a bot by user, phone (E.164, see `lookupPhone`), email, channel or chat id; pages in a
 * stable order.
 */
export async function listLeads(db: Knex, botId: number, filters: LeadFilters): Promise<{ leads: Lead[]; nextCursor: string | null }> {
  const query = leadsWithUser(db, botId);
  if (filters.userId !== undefined) query.andWhere('k.user_id', filters.userId);
  if (filters.phone !== undefined) query.andWhere('l.phone', filters.phone);
  if (filters.email !== undefined) query.andWhere('l.email', normalizeEmail(filters.email));
  if (filters.channel !== undefined) query.andWhere('l.channel', filters.channel);
  if (filters.chatId !== undefined) query.andWhere('l.chat_id', filters.chatId);
  const after = decodeCursor(filters.cursor);
  if (after !== undefined) query.andWhere('l.id', '>', after);
  const rows = (await query.orderBy('l.id').limit(filters.limit + 1)) as LeadWithUser[];
  const page = rows.slice(0, filters.limit);
  const nextCursor = rows.length > filters.limit ? encodeCursor(page[page.length - 1].id) : null;
  return { leads: page.map((row) => toLead(row, row.user_id)), nextCursor };
}

export const attributesPatchSchema = z.record(z.string().min(1).max(100), z.unknown());

/** Merges attributes into a lead; a null value deletes the key. Undefined when the lead is unknown. */
export async function patchLeadAttributes(
  db: Knex,
  botId: number,
  leadId: string,
  patch: Record<string, unknown>,
): Promise<Lead | undefined> {
  return db.transaction(async (trx) => {
    const query = trx('leads').where({ bot_id: botId, id: leadId });
    if (isPostgres(trx)) query.forUpdate();
    const row = (await query.first()) as LeadRow | undefined;
    if (!row) return undefined;
    const attributes = fromJson<Record<string, unknown>>(row.attributes);
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete attributes[key];
      else attributes[key] = value;
    }
    await trx('leads').where({ id: leadId }).update({ attributes: toJson(attributes) });
    const [lead] = (await leadsWithUser(trx, botId).andWhere('l.id', leadId)) as LeadWithUser[];
    return toLead(lead, lead.user_id);
  });
}

/**
 * A contact the person shared themselves: stored as E.164, never logged. Undefined (and nothing
 * stored) when it is not a valid phone number.
 */
export async function setLeadPhone(db: Knex, leadId: string, phone: string, country: CountryCode): Promise<string | undefined> {
  const normalized = toE164(phone, country);
  if (normalized !== undefined) await db('leads').where({ id: leadId }).update({ phone: normalized });
  return normalized;
}

/** Attribute names in use on the bot's leads (bounded as `namesInUse` says). */
export function attributeNamesInUse(db: Knex, botId: number, bounds: { leadsRead: number; maxNames: number }): Promise<{ names: string[]; complete: boolean }> {
  return namesInUse(db, { table: 'leads', column: 'attributes' }, botId, { rowsRead: bounds.leadsRead, maxNames: bounds.maxNames });
}
