import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { toJson } from '../platform/db/database';

/** The background loop that fans events out to subscriptions and delivers them (workers.ts). */
export const EVENTS_LOOP = 'events';

/**
 * The loop that makes the deliveries of calls waiting for a workflow's answer (answering-delivery.ts):
 * at once, each in flight on its own, never behind a batch of the events loop.
 */
export const ANSWERS_LOOP = 'event-answers';

/** What recording an event needs: the time, and the wake-up of the events loop after commit. */
export type OutboxContext = Pick<AppContext, 'clock' | 'wakeups'>;

/** An event as it enters the outbox. Payload is the event's own data (see docs/ARCHITECTURE.md). */
export interface NewEvent {
  botId: number;
  type: string;
  traceId: string;
  leadId?: string | null;
  userId?: string | null;
  alias?: string | null;
  /** Who may receive it: every matching subscription (null), one subscription (its id), or no workflow (`operator`). */
  audience?: string | null;
  payload: Record<string, unknown>;
}

/** The outbox row of an event recorded at `now`. */
export function outboxRow(event: NewEvent, now: number) {
  return {
    bot_id: event.botId,
    type: event.type,
    trace_id: event.traceId,
    lead_id: event.leadId ?? null,
    user_id: event.userId ?? null,
    alias: event.alias ?? null,
    audience: event.audience ?? null,
    payload: toJson(event.payload),
    created_at: now,
  };
}

/**
 * Persists an event. Call it inside the transaction of the change that caused the event, so an
 * accepted change always has its event and a refused one never does. The events loop of this
 * process is woken once the transaction commits.
 */
export async function recordEvent(db: Knex, ctx: OutboxContext, event: NewEvent): Promise<number> {
  const [id] = await recordEvents(db, ctx, [event]);
  return id;
}

/** Several events in as few statements as possible; same rules as `recordEvent`. Returns their ids in the order given. */
export async function recordEvents(db: Knex, ctx: OutboxContext, events: NewEvent[]): Promise<number[]> {
  const now = ctx.clock.now();
  const ids: number[] = [];
  for (let i = 0; i < events.length; i += 500) {
    const rows: Array<number | { id: number }> = await db('events')
      .insert(events.slice(i, i + 500).map((e) => outboxRow(e, now)))
      .returning('id');
    // One insert numbers its rows in the order it writes them; the order RETURNING lists them in is not promised.
    ids.push(...rows.map((row) => Number(typeof row === 'object' ? row.id : row)).sort((a, b) => a - b));
  }
  if (ids.length > 0) ctx.wakeups.wakeAfterCommit(db, EVENTS_LOOP);
  return ids;
}
