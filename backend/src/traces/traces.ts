import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Clock } from '../platform/clock';
import { fromJson, toJson } from '../platform/db/database';

export const traceIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);

/**
 * 32 hex characters: the time in milliseconds (12), then 74 random bits (the last 20 characters of
 * a version-4 UUID; randomUUID draws from a buffered entropy pool, several times cheaper per call
 * than randomBytes). Time first keeps the ids of one moment next to each other in every index on
 * trace_id: a batch of calls then dirties a few index pages, not one page per call, so each commit
 * writes a fraction of the pages (and the WAL needs a fraction of the checkpoints).
 */
export function newTraceId(): string {
  return Date.now().toString(16).padStart(12, '0') + crypto.randomUUID().replaceAll('-', '').slice(12);
}

/** One step of a chain (the trace log that follows one business event end to end): CRM event → endpoint → workflow → messenger → user → callback. */
export interface TraceHop {
  botId: number;
  traceId: string;
  hop: string;
  status: string;
  sourceSystem?: string | null;
  alias?: string | null;
  userId?: string | null;
  leadId?: string | null;
  latencyMs?: number | null;
  detail?: Record<string, unknown> | null;
}

export interface StoredTraceHop extends TraceHop {
  id: number;
  timestamp: number;
}

interface TraceRow {
  id: number;
  bot_id: number;
  trace_id: string;
  hop: string;
  status: string;
  source_system: string | null;
  alias: string | null;
  user_id: string | null;
  lead_id: string | null;
  latency_ms: number | null;
  detail: string | null;
  created_at: number;
}

/** Appends a hop. Pass a transaction so the hop is written with the change it describes. */
export async function appendTraceHop(db: Knex, clock: Clock, hop: TraceHop): Promise<void> {
  await appendTraceHops(db, clock, [hop]);
}

/** Appends several hops in one insert (a worker recording a batch). */
export async function appendTraceHops(db: Knex, clock: Clock, hops: TraceHop[]): Promise<void> {
  if (hops.length === 0) return;
  const now = clock.now();
  await db('trace_hops').insert(hops.map((hop) => traceHopRow(hop, now)));
}

/** The stored row of a hop appended at `now`. */
export function traceHopRow(hop: TraceHop, now: number) {
  return {
    bot_id: hop.botId,
    trace_id: hop.traceId,
    hop: hop.hop,
    status: hop.status,
    source_system: hop.sourceSystem ?? null,
    alias: hop.alias ?? null,
    user_id: hop.userId ?? null,
    lead_id: hop.leadId ?? null,
    latency_ms: hop.latencyMs ?? null,
    detail: hop.detail ? toJson(hop.detail) : null,
    created_at: now,
  };
}

/** A trace's hops in order; `limit` keeps the first ones (a broadcast's trace has a hop per recipient). */
export async function readTrace(db: Knex, botId: number, traceId: string, limit?: number): Promise<StoredTraceHop[]> {
  const query = db<TraceRow>('trace_hops').where({ bot_id: botId, trace_id: traceId }).orderBy('id');
  if (limit !== undefined) query.limit(limit);
  const rows = await query;
  return rows.map((row) => ({
    id: row.id,
    botId: row.bot_id,
    traceId: row.trace_id,
    hop: row.hop,
    status: row.status,
    sourceSystem: row.source_system,
    alias: row.alias,
    userId: row.user_id,
    leadId: row.lead_id,
    latencyMs: row.latency_ms,
    detail: row.detail ? fromJson(row.detail) : null,
    timestamp: row.created_at,
  }));
}
