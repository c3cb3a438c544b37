import type { Knex } from 'knex';
import type { Clock } from '../context';
import { toJson } from '../db/database';
import { wakeAfterCommit } from '../wakeups';

/** The background loop that fans events out to subscriptions and delivers them (workers.ts). */
export const EVENTS_LOOP = 'events';

/** An event as it enters the outbox. Payload is the event's own data (see docs/ARCHITECTURE.md). */
export interface NewEvent {
  botId: number;
  type: string;
  traceId: string;
  leadId?: string | null;
  userId?: string | null;
  alias?: string | null;
  payload: Record<string, unknown>;
}

function eventRow(event: NewEvent, now: number) {
  return {
    bot_id: event.botId,
    type: event.type,
    trace_id: event.traceId,
    lead_id: event.leadId ?? null,
    user_id: event.userId ?? null,
    alias: event.alias ?? null,
    payload: toJson(event.payload),
    created_at: now,
  };
}

/**
 * Persists an event. Call it inside the transaction of the change that caused the event, so an
 * accepted change always has its event and a refused one never does. The events loop of this
 * process is woken once the transaction commits.
 */
export async function recordEvent(db: Knex, clock: Clock, event: NewEvent): Promise<number> {
  const [row] = await db('events').insert(eventRow(event, clock.now())).returning('id');
  wakeAfterCommit(db, EVENTS_LOOP);
  return typeof row === 'object' ? Number((row as { id: number }).id) : Number(row);
}

/** Several events in as few statements as possible (delivery records one per recipient); same rules as `recordEvent`. */
export async function recordEvents(db: Knex, clock: Clock, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const now = clock.now();
  for (let i = 0; i < events.length; i += 500) await db('events').insert(events.slice(i, i + 500).map((e) => eventRow(e, now)));
  wakeAfterCommit(db, EVENTS_LOOP);
}
