import { type AnswersContext, deliverAnsweringEvents } from './answering-delivery';
import { type EventsContext, FANOUT_BATCH, fanOutEvents } from './fanout';
import { CLAIM_BATCH, deliverDueEvents } from './webhook-delivery';

/**
 * One pass of the events loop: fan new events out (with the fan-out observers), then attempt the
 * due deliveries. Resolves true (run again at once) while there is more: a full batch, or a
 * delivery that may have unblocked the next one of its lead.
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
