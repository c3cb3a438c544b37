import { once } from 'node:events';
import type { Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { AppContext } from '../platform/context';

const PAGE = 1000;

export const exportQuerySchema = z.object({
  kind: z.enum(['events', 'messages', 'traces']).meta({ description: 'events: the outbox; messages: one row per recipient; traces: every trace hop' }),
  format: z.enum(['csv', 'ndjson']).default('ndjson'),
  from: z.iso.datetime({ offset: true }).meta({ description: 'Rows created at or after this instant' }),
  to: z.iso.datetime({ offset: true }).meta({ description: 'Rows created before this instant' }),
});
export type ExportQuery = z.output<typeof exportQuerySchema>;

type Value = string | number | boolean | null;
interface ExportKind {
  columns: readonly string[];
  /** One keyset page: rows of the bot after `afterId` created in the window, by id. */
  page(db: Knex, botId: number, afterId: number, from: number, to: number): Promise<Array<Record<string, Value>>>;
}

const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

const kinds: Record<ExportQuery['kind'], ExportKind> = {
  events: {
    columns: ['id', 'type', 'trace_id', 'lead_id', 'user_id', 'alias', 'created_at', 'payload'],
    async page(db, botId, afterId, from, to) {
      const found = await db('events').where('bot_id', botId).where('id', '>', afterId).where('created_at', '>=', from).where('created_at', '<', to).orderBy('id').limit(PAGE)
        .select('id', 'type', 'trace_id', 'lead_id', 'user_id', 'alias', 'created_at', 'payload');
      return found.map((r) => ({ ...r, id: Number(r.id), created_at: iso(r.created_at) }));
    },
  },
  messages: {
    columns: ['id', 'message_id', 'trace_id', 'lead_id', 'user_id', 'channel', 'status', 'attempts', 'error', 'created_at', 'sent_at', 'delivered_at', 'read_at'],
    async page(db, botId, afterId, from, to) {
      const found = await db('message_recipients as r').join('messages as m', 'm.id', 'r.message_id')
        .where('r.bot_id', botId).where('r.id', '>', afterId).where('m.created_at', '>=', from).where('m.created_at', '<', to).orderBy('r.id').limit(PAGE)
        .select('r.id', 'r.message_id', 'm.trace_id', 'r.lead_id', 'r.user_id', 'r.channel', 'r.status', 'r.attempts', 'r.error', 'm.created_at', 'r.sent_at', 'r.delivered_at', 'r.read_at');
      return found.map((r) => ({ ...r, id: Number(r.id), created_at: iso(r.created_at), sent_at: iso(r.sent_at), delivered_at: iso(r.delivered_at), read_at: iso(r.read_at) }));
    },
  },
  traces: {
    columns: ['id', 'trace_id', 'hop', 'status', 'source_system', 'alias', 'user_id', 'lead_id', 'latency_ms', 'created_at', 'detail'],
    async page(db, botId, afterId, from, to) {
      const found = await db('trace_hops').where('bot_id', botId).where('id', '>', afterId).where('created_at', '>=', from).where('created_at', '<', to).orderBy('id').limit(PAGE)
        .select('id', 'trace_id', 'hop', 'status', 'source_system', 'alias', 'user_id', 'lead_id', 'latency_ms', 'created_at', 'detail');
      return found.map((r) => ({ ...r, id: Number(r.id), created_at: iso(r.created_at) }));
    },
  },
};

/**
 * A CSV field (RFC 4180): quoted when it holds a quote, comma or line break. Text that a
 * spreadsheet would run as a formula (leading = + - @, tab, CR) gets a leading apostrophe; numbers
 * are written as they are.
 */
export function csvField(value: Value): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function exportContentType(format: ExportQuery['format']): string {
  return format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
}

/**
 * The rows of a kind in a window, as lines, one keyset page of PAGE rows at a time: memory holds
 * one page whatever the export's size, and `write` resolving late (a slow reader) holds the next
 * page back. Stops early when `stopped()` says the reader went away.
 */
export async function streamExport(db: Knex, botId: number, query: ExportQuery, write: (chunk: string) => Promise<void>, stopped: () => boolean): Promise<number> {
  const kind = kinds[query.kind];
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  if (query.format === 'csv') await write(`${kind.columns.join(',')}\r\n`);
  let afterId = 0;
  let count = 0;
  while (!stopped()) {
    const rows = await kind.page(db, botId, afterId, from, to);
    if (rows.length === 0) break;
    const lines = rows.map((row) => (query.format === 'csv' ? `${kind.columns.map((c) => csvField(row[c] ?? null)).join(',')}\r\n` : `${JSON.stringify(row)}\n`));
    await write(lines.join(''));
    count += rows.length;
    afterId = Number(rows[rows.length - 1].id);
    if (rows.length < PAGE) break;
  }
  return count;
}

/**
 * Answers a request with an export as a download, written as the reader takes it (a full socket
 * buffer holds the next page back) and stopped when the reader goes away. The token API and the
 * console both answer with this.
 */
export async function sendExport(ctx: AppContext, res: Response, botId: number, query: ExportQuery): Promise<void> {
  res.setHeader('Content-Type', exportContentType(query.format));
  res.setHeader('Content-Disposition', `attachment; filename="bot-${botId}-${query.kind}.${query.format === 'csv' ? 'csv' : 'ndjson'}"`);
  let gone = false;
  res.on('close', () => void (gone = true));
  const write = async (chunk: string) => {
    if (!res.write(chunk) && !gone) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  try {
    await streamExport(ctx.db, botId, query, write, () => gone);
    res.end();
  } catch (err) {
    // The status line has gone: a cut connection is the only way left to say the export is incomplete.
    ctx.logger.error({ err, traceId: res.locals.traceId }, 'export failed');
    res.destroy();
  }
}
