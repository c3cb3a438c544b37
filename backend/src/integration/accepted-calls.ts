import type Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { isPostgres } from '../platform/db/database';
import { GroupCommit } from '../platform/db/group-commit';
import { openCallAnswers } from '../events/call-answers';
import { ANSWERS_LOOP, EVENTS_LOOP, type NewEvent, outboxRow, recordEvents } from '../events/outbox';
import type { EndpointAnswer } from '../maps/endpoint-answer';
import { appendTraceHops, type TraceHop, traceHopRow } from '../traces/traces';

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

/** The columns of `outboxRow` and `traceHopRow` that vary per call, with their PostgreSQL types (created_at is one value). */
const EVENT_COLUMNS = { bot_id: 'int', type: 'text', trace_id: 'text', lead_id: 'text', user_id: 'text', alias: 'text', audience: 'text', payload: 'text' } as const;
const HOP_COLUMNS = {
  bot_id: 'int', trace_id: 'text', hop: 'text', status: 'text', source_system: 'text', alias: 'text', user_id: 'text', lead_id: 'text', latency_ms: 'int', detail: 'text',
} as const;
const eventColumns = Object.keys(EVENT_COLUMNS) as Array<keyof typeof EVENT_COLUMNS>;
const hopColumns = Object.keys(HOP_COLUMNS) as Array<keyof typeof HOP_COLUMNS>;
const arrays = [...Object.values(EVENT_COLUMNS), ...Object.values(HOP_COLUMNS)].map((type) => `?::${type}[]`);
const hopDetail = `'{"event_id":' || event_id || case hop_detail when '{}' then '}' else ',' || substr(hop_detail, 2) end`;

/**
 * PostgreSQL: the events and hops of calls that await no answer in one statement, which is its own
 * transaction: one round trip instead of four (begin, two inserts, commit), and a fixed text that
 * each connection prepares once whatever the batch size (the rows travel as one array per column).
 * The event ids are drawn in the order of the calls, so the events of one person keep their order;
 * each hop's detail gets its event id in front, as `writeCalls` writes it.
 */
const INSERT_CALLS = `
  with calls as (
    select nextval('events_id_seq') as event_id, c.*
    from unnest(${arrays.join(', ')}) with ordinality
      as c(${[...eventColumns.map((c) => `event_${c}`), ...hopColumns.map((c) => `hop_${c}`)].join(', ')}, n)
  ),
  new_events as (
    insert into events (id, ${eventColumns.join(', ')}, created_at)
    select event_id, ${eventColumns.map((c) => `event_${c}`).join(', ')}, ?::bigint from calls
  ),
  new_hops as (
    insert into trace_hops (${hopColumns.join(', ')}, created_at)
    select ${hopColumns.map((c) => (c === 'detail' ? hopDetail : `hop_${c}`)).join(', ')}, ?::bigint from calls order by n
  )
  select event_id from calls order by n`;

async function insertCallsInOneStatement(ctx: AppContext, calls: AcceptedCall[]): Promise<number[]> {
  const now = ctx.clock.now();
  const since = performance.now();
  const events = calls.map((call) => outboxRow(call.event, now));
  const hops = calls.map(({ hop, started }) => traceHopRow({ ...hop, latencyMs: Math.round(since - started) }, now));
  const bindings = [
    ...eventColumns.map((column) => events.map((row) => row[column])),
    ...hopColumns.map((column) => hops.map((row) => (column === 'detail' ? (row.detail ?? '{}') : row[column]))),
    now,
    now,
  ];
  // pg sends a JS array as a PostgreSQL array, nulls included; knex's types know only arrays without nulls.
  const result = await ctx.db.raw<{ rows: Array<{ event_id: number }> }>(INSERT_CALLS, bindings as Knex.RawBinding[]).options({ name: 'metabot_insert_calls' });
  ctx.wakeups.wake(EVENTS_LOOP);
  return result.rows.map((row) => row.event_id);
}

const insertOf = (table: string, columns: string[]) => `insert into ${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`;
const INSERT_EVENT = insertOf('events', [...eventColumns, 'created_at']);
const INSERT_HOP = insertOf('trace_hops', [...hopColumns, 'created_at']);

/**
 * SQLite: the events and hops of calls that await no answer, in one transaction of two single-row
 * statements run once per call, on knex's own connection (taken from its pool of one, so nothing
 * else runs on it meanwhile). Under a stream of calls, knex's builder and its promise per statement
 * cost more than SQLite's own work for the batch; preparing the two statements is once per batch.
 * Each hop's detail gets its event id in front, as `writeCalls` writes it.
 */
async function insertCallsOnSqlite(ctx: AppContext, calls: AcceptedCall[]): Promise<number[]> {
  const now = ctx.clock.now();
  const since = performance.now();
  const connection = (await ctx.db.client.acquireConnection()) as Sqlite.Database;
  try {
    const event = connection.prepare(INSERT_EVENT);
    const hop = connection.prepare(INSERT_HOP);
    const ids = connection.transaction(() =>
      calls.map((call) => {
        const eventId = Number(event.run(outboxRow(call.event, now)).lastInsertRowid);
        const detail = { event_id: eventId, ...call.hop.detail };
        hop.run(traceHopRow({ ...call.hop, latencyMs: Math.round(since - call.started), detail }, now));
        return eventId;
      }),
    )();
    ctx.wakeups.wake(EVENTS_LOOP);
    return ids;
  } finally {
    await ctx.db.client.releaseConnection(connection);
  }
}

// × 12 trace-hop columns stays far below SQLite's bound-variable limit in one insert.
const MAX_BATCH = 256;

/**
 * Calls without an Idempotency-Key are written in group commits: under load, the calls of one
 * turn of the event loop share a transaction. A call's promise resolves with its event id once
 * its batch committed, so the 200 still means "persisted".
 */
export function callWriter(ctx: AppContext): (call: AcceptedCall) => Promise<number> {
  const insertCalls = isPostgres(ctx.db) ? insertCallsInOneStatement : insertCallsOnSqlite;
  const group = new GroupCommit<AcceptedCall, number>((calls) => {
    if (calls.every((call) => !call.awaitsAnswer)) return insertCalls(ctx, calls);
    return ctx.db.transaction((trx) => writeCalls(trx, ctx, calls));
  }, MAX_BATCH);
  return (call) => group.write(call);
}
