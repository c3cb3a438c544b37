import { type AnswersContext, deliverAnsweringEvents } from './answering-delivery';
import { type EventsContext, FANOUT_BATCH, fanOutEvents } from './fanout';
import { EVENTS_LOOP } from './outbox';
import { CLAIM_BATCH, deliverDueEvents } from './webhook-delivery';

/**
 * One pass of the events loop: fan new events out (with the fan-out observers), then attempt the
 * due deliveries. Resolves true (run again at once) after a full batch. A delivery may have
 * unblocked the next one of its lead: then the loop is woken, so it runs again after its spacing
 * (workers.ts) and a stream of deliveries is batched like a stream of events.
 */
export async function runEventsOnce(ctx: EventsContext): Promise<boolean> {
  const fannedOut = await fanOutEvents(ctx);
  const { claimed, delivered } = await deliverDueEvents(ctx);
  if (delivered > 0) ctx.wakeups.wake(EVENTS_LOOP);
  return fannedOut === FANOUT_BATCH || claimed === CLAIM_BATCH;
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
