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
