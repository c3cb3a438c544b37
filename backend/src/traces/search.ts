import type { Knex } from 'knex';
import { z } from 'zod';

/** Hop statuses that mean something went wrong on that step (the explorer highlights them). */
export const FAILED_STATUSES = ['failed', 'exhausted', 'invalid', 'error', 'rejected'] as const;

export const traceSearchSchema = z.object({
  userId: z.string().min(1).max(200).optional(),
  leadId: z.string().min(1).max(64).optional(),
  alias: z.string().min(1).max(200).optional(),
  status: z.string().min(1).max(32).optional(),
  sourceSystem: z.string().min(1).max(100).optional(),
  /** Epoch milliseconds, inclusive. */
  from: z.coerce.number().int().min(0).optional(),
  /** Epoch milliseconds, exclusive. */
  to: z.coerce.number().int().min(0).optional(),
  /** The cursor of the previous page (`nextBefore`): traces whose newest matching hop is older. */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
export type TraceSearch = z.output<typeof traceSearchSchema>;

export const traceSummarySchema = z
  .object({
    traceId: z.string(),
    firstHop: z.string(),
    hops: z.number().int(),
    failures: z.number().int(),
    startedAt: z.number().int(),
    endedAt: z.number().int(),
    alias: z.string().nullable(),
    userId: z.string().nullable(),
    leadId: z.string().nullable(),
    sourceSystem: z.string().nullable(),
  })
  .meta({ id: 'TraceSummary' });
export type TraceSummary = z.infer<typeof traceSummarySchema>;
export const traceSearchAnswerSchema = z
  .object({ success: z.boolean(), traces: z.array(traceSummarySchema), nextBefore: z.number().int().nullable().meta({ description: 'The cursor of the next page (`before`), null on the last' }) })
  .meta({ id: 'TraceSearchAnswer' });

/** Hops read per query, and at most per search: a page answers in bounded time even when few hops match. */
const CHUNK = 1000;
const SCAN_LIMIT = 20_000;

function matchingHops(db: Knex, botId: number, filter: TraceSearch): Knex.QueryBuilder {
  const query = db('trace_hops').where('bot_id', botId);
  if (filter.userId) query.where('user_id', filter.userId);
  if (filter.leadId) query.where('lead_id', filter.leadId);
  if (filter.alias) query.where('alias', filter.alias);
  if (filter.status) query.where('status', filter.status);
  if (filter.sourceSystem) query.where('source_system', filter.sourceSystem);
  if (filter.from !== undefined) query.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) query.where('created_at', '<', filter.to);
  return query;
}

/**
 * Traces with at least one hop matching every filter, newest first by their newest matching hop,
 * paged by keyset: `nextBefore` is a hop id, and a trace shown on an earlier page (it has a
 * matching hop at or after the cursor) is not shown again. Hops are walked newest first in chunks,
 * at most SCAN_LIMIT per page; a page cut short by that bound still gives `nextBefore`.
 */
export async function searchTraces(db: Knex, botId: number, filter: TraceSearch): Promise<{ traces: TraceSummary[]; nextBefore: number | null }> {
  const picked: string[] = [];
  let cursor = filter.before;
  let scanned = 0;
  let finished = false;
  while (picked.length < filter.limit && scanned < SCAN_LIMIT && !finished) {
    const chunk = matchingHops(db, botId, filter).select('id', 'trace_id').orderBy('id', 'desc').limit(CHUNK);
    if (cursor !== undefined) chunk.where('id', '<', cursor);
    const rows = (await chunk) as Array<{ id: number; trace_id: string }>;
    scanned += rows.length;
    finished = rows.length < CHUNK;
    const shownEarlier = await tracesShownEarlier(db, botId, filter, rows.map((row) => row.trace_id));
    for (const row of rows) {
      cursor = row.id;
      if (picked.includes(row.trace_id) || shownEarlier.has(row.trace_id)) continue;
      picked.push(row.trace_id);
      if (picked.length === filter.limit) {
        finished = finished && row === rows[rows.length - 1];
        break;
      }
    }
  }
  return { traces: await summarize(db, botId, picked), nextBefore: finished ? null : (cursor ?? null) };
}

async function tracesShownEarlier(db: Knex, botId: number, filter: TraceSearch, traceIds: string[]): Promise<Set<string>> {
  if (filter.before === undefined || traceIds.length === 0) return new Set();
  const unique = [...new Set(traceIds)];
  const rows = (await matchingHops(db, botId, filter).whereIn('trace_id', unique).where('id', '>=', filter.before).distinct('trace_id')) as Array<{ trace_id: string }>;
  return new Set(rows.map((row) => row.trace_id));
}

async function summarize(db: Knex, botId: number, traceIds: string[]): Promise<TraceSummary[]> {
  if (traceIds.length === 0) return [];
  const failed = FAILED_STATUSES.map(() => '?').join(', ');
  const rows = (await db('trace_hops')
    .where('bot_id', botId)
    .whereIn('trace_id', traceIds)
    .groupBy('trace_id')
    .select('trace_id')
    .select(
      db.raw('min(id) as first_id'),
      db.raw('count(*) as hops'),
      db.raw(`sum(case when status in (${failed}) then 1 else 0 end) as failures`, [...FAILED_STATUSES]),
      db.raw('min(created_at) as started_at'),
      db.raw('max(created_at) as ended_at'),
      db.raw('max(alias) as alias'),
      db.raw('max(user_id) as user_id'),
      db.raw('max(lead_id) as lead_id'),
      db.raw('max(source_system) as source_system'),
    )) as Array<Record<string, string | number | null>>;
  const firstHops = new Map(
    ((await db('trace_hops').whereIn('id', rows.map((row) => Number(row.first_id))).select('id', 'hop')) as Array<{ id: number; hop: string }>).map((row) => [row.id, row.hop]),
  );
  const byId = new Map(rows.map((row) => [String(row.trace_id), row]));
  return traceIds.map((traceId) => {
    const row = byId.get(traceId)!;
    return {
      traceId,
      firstHop: firstHops.get(Number(row.first_id)) ?? '',
      hops: Number(row.hops),
      failures: Number(row.failures),
      startedAt: Number(row.started_at),
      endedAt: Number(row.ended_at),
      alias: (row.alias as string | null) ?? null,
      userId: (row.user_id as string | null) ?? null,
      leadId: (row.lead_id as string | null) ?? null,
      sourceSystem: (row.source_system as string | null) ?? null,
    };
  });
}
