import type { AppContext } from '../platform/context';
import { isPostgres } from '../platform/db/database';
import { type AnswersContext, deliverAnsweringEvents } from './answering-delivery';
import { type EventsContext, FANOUT_BATCH, fanOutEvents } from './fanout';
import { CLAIM_BATCH, deliverDueEvents } from './webhook-delivery';

/**
 * One pass of the events loop: fan new events out (with the fan-out observers), then attempt the
 * due deliveries. Resolves true (run again at once, not after the loop's spacing) while there is
 * more: a full batch, or a delivery that may have unblocked the next one of its lead (a chain
 * advances one delivery per pass, so spacing those passes would cap a lead's events per second).
 */
export async function runEventsOnce(ctx: EventsContext): Promise<boolean> {
  const fannedOut = await fanOutEvents(ctx);
  const { claimed, delivered } = await deliverDueEvents(ctx);
  return fannedOut === FANOUT_BATCH || claimed === CLAIM_BATCH || delivered > 0;
}

/**
 * One pass of the answers loop: fan out (a call waiting for its answer must not wait for the
 * events loop's current batch), then launch the due answering deliveries without waiting for them.
 */
export async function runAnswersOnce(ctx: EventsContext & AnswersContext): Promise<boolean> {
  const fannedOut = await fanOutEvents(ctx);
  const { claimed, room } = await deliverAnsweringEvents(ctx);
  return fannedOut === FANOUT_BATCH || (claimed > 0 && claimed === room);
}

/** The longest an event waits for a spaced run of the events loop. */
const MAX_SPACING_MS = 20;
/** SQLite: a run's statements take this process's own time; under a stream of wake-ups the loop gets at most 1/this of it. */
const SQLITE_IDLE_PER_BUSY = 10;

/**
 * How often at most a stream of commits runs the events loop (workers.ts): woken within this long
 * of its last start, the loop waits for the rest, so an event waits at most that much longer to be
 * fanned out (the first after a quiet spell not at all). On PostgreSQL a run is about ten round
 * trips whatever it finds, and at 1,000 calls/s a run per batch commit cost more than the calls:
 * 20 ms. On SQLite a run costs this process's CPU, most of it per run rather than per event (at
 * 2,800 calls/s, a run per commit was a sixth of a call's CPU), yet at a few hundred events a second
 * a fixed 20 ms added 6–25 ms to their latency: the spacing is ten times the last run's duration,
 * at most 20 ms, so it grows with the runs, which grow with the load.
 */
export function eventsLoopSpacingMs(ctx: Pick<AppContext, 'db'>, lastRunMs: number): number {
  return isPostgres(ctx.db) ? MAX_SPACING_MS : Math.min(MAX_SPACING_MS, SQLITE_IDLE_PER_BUSY * lastRunMs);
}
