import type { AppContext } from '../platform/context';
import { FANOUT_BATCH, fanOutEvents } from './fanout';
import { EVENTS_LOOP } from './outbox';
import { deliverDueResumes, expireWaits } from '../waits/waits';
import { CLAIM_BATCH, deliverDueEvents } from './webhook-delivery';

export { EVENTS_LOOP };

/**
 * One pass of the events loop: fan new events out (registering send-and-wait waits), attempt the
 * due deliveries, time out waits and resume n8n executions. Resolves true (run again at once) while
 * there is more: a full batch, or a delivery that may have unblocked the next one of its lead.
 */
export async function runEventsOnce(ctx: AppContext): Promise<boolean> {
  const fannedOut = await fanOutEvents(ctx);
  const { claimed, delivered } = await deliverDueEvents(ctx);
  const expired = await expireWaits(ctx);
  const resumed = await deliverDueResumes(ctx);
  return fannedOut === FANOUT_BATCH || claimed === CLAIM_BATCH || delivered > 0 || expired > 0 || resumed > 0;
}
