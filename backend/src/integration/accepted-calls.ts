import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { GroupCommit } from '../platform/db/group-commit';
import { type NewEvent, recordEvents } from '../events/outbox';
import { appendTraceHops, type TraceHop } from '../traces/traces';

/** A call that passed every check: its `endpoint.called` event and the trace hop that records it. */
export interface AcceptedCall {
  event: NewEvent;
  hop: Omit<TraceHop, 'latencyMs' | 'detail'> & { detail: Record<string, unknown> };
  /** `performance.now()` when the request arrived: the hop's latency runs until the write. */
  started: number;
}

/** Writes calls inside `trx`: one insert for the events, one for the hops. Returns the event ids in order. */
export async function writeCalls(trx: Knex, ctx: AppContext, calls: AcceptedCall[]): Promise<number[]> {
  const eventIds = await recordEvents(trx, ctx, calls.map((call) => call.event));
  const now = performance.now();
  await appendTraceHops(
    trx,
    ctx.clock,
    calls.map(({ hop, started }, i) => ({ ...hop, latencyMs: Math.round(now - started), detail: { event_id: eventIds[i], ...hop.detail } })),
  );
  return eventIds;
}

// × 12 trace-hop columns stays far below SQLite's bound-variable limit in one insert.
const MAX_BATCH = 256;

/**
 * Calls without an Idempotency-Key are written in group commits: under load, the calls of one
 * turn of the event loop share a transaction. A call's promise resolves with its event id once
 * its batch committed, so the 200 still means "persisted".
 */
export function callWriter(ctx: AppContext): (call: AcceptedCall) => Promise<number> {
  const group = new GroupCommit<AcceptedCall, number>((calls) => ctx.db.transaction((trx) => writeCalls(trx, ctx, calls)), MAX_BATCH);
  return (call) => group.write(call);
}
