import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { GroupCommit } from '../platform/db/group-commit';
import { openCallAnswers } from '../events/call-answers';
import { ANSWERS_LOOP, type NewEvent, recordEvents } from '../events/outbox';
import type { EndpointAnswer } from '../maps/endpoint-answer';
import { appendTraceHops, type TraceHop } from '../traces/traces';

/** A call that passed every check: its `endpoint.called` event and the trace hop that records it. */
export interface AcceptedCall {
  event: NewEvent;
  hop: Omit<TraceHop, 'latencyMs' | 'detail'> & { detail: Record<string, unknown> };
  /** `performance.now()` when the request arrived: the hop's latency runs until the write. */
  started: number;
  /** The call waits up to `timeoutMs` (from its write) for a workflow's answer; `fallback` is sent otherwise. */
  awaitsAnswer?: { timeoutMs: number; fallback: EndpointAnswer };
}

/**
 * Writes calls inside `trx`: one insert for the events, one for the hops, and the waiting answer
 * of each call that awaits one (then the answers loop is woken after commit). Returns the event ids in order.
 */
export async function writeCalls(trx: Knex, ctx: AppContext, calls: AcceptedCall[]): Promise<number[]> {
  const eventIds = await recordEvents(trx, ctx, calls.map((call) => call.event));
  const awaiting = calls.flatMap((call, i) =>
    call.awaitsAnswer ? [{ eventId: eventIds[i], botId: call.event.botId, traceId: call.event.traceId, ...call.awaitsAnswer }] : [],
  );
  if (awaiting.length > 0) {
    await openCallAnswers(trx, ctx.clock.now(), awaiting);
    ctx.wakeups.wakeAfterCommit(trx, ANSWERS_LOOP);
  }
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
