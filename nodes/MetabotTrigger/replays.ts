import { SIGNATURE_TOLERANCE_SECONDS } from '../shared/signature';
import type { SubscriptionState } from './subscription';

/**
 * Ids signed longer ago than the tolerance need no remembering (a replay of them is refused as
 * stale); this cap bounds the static data n8n saves after each delivery when a burst exceeds it.
 */
export const MAX_RECENT_DELIVERIES = 1000;

/**
 * Records a verified delivery id; false when it was seen within the tolerance (a replay, or the
 * backend's retry of a delivery that already started the workflow). Each id keeps the newest
 * timestamp signed for it: every attempt of an id can be replayed until its own timestamp is stale.
 */
export function firstDelivery(state: SubscriptionState, deliveryId: string, signedAt: number, nowSeconds: number): boolean {
	const recent = new Map((state.recentDeliveries ?? []).filter(([, t]) => nowSeconds - t <= SIGNATURE_TOLERANCE_SECONDS));
	const seenAt = recent.get(deliveryId);
	recent.set(deliveryId, Math.max(seenAt ?? signedAt, signedAt));
	// Assigned anew, never mutated in place: n8n saves static data only when a property is set.
	state.recentDeliveries = [...recent].sort(([, a], [, b]) => b - a).slice(0, MAX_RECENT_DELIVERIES);
	return seenAt === undefined;
}
