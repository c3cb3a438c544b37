import type { Knex } from 'knex';
import type { DeliveryObserver } from '../events/webhook-delivery';
import type { AnalyticsContext } from './rollup';
import { hourOf, RollupDeltas } from './counters';
import { aliasesOfTraces } from './sends';

/** Finished webhook deliveries (delivered or exhausted), counted in the hour they finished, for the event's communication. */
export function countWebhookOutcomes(ctx: AnalyticsContext): DeliveryObserver {
  return async (trx, finished, now) => {
    if (finished.length === 0) return;
    const hour = hourOf(now);
    const aliases = await aliasesOfTraces(trx, finished.map((f) => f.event.trace_id));
    const deltas = new RollupDeltas();
    for (const { event, exhausted } of finished) {
      const key = { botId: event.bot_id, hour, alias: event.alias ?? aliases.get(event.trace_id) ?? '', channel: '' };
      deltas.add(key, 'webhooks');
      if (exhausted) deltas.add(key, 'webhooks_exhausted');
    }
    ctx.communicationLabels.count(deltas);
    await deltas.write(trx);
  };
}

/** A delivery receipt seen for the first time (WhatsApp): counted in the hour of the send it reports. */
export async function countReceipt(
  trx: Knex,
  receipt: { botId: number; traceId: string; channel: string; sentAt: number; delivered: boolean; read: boolean },
): Promise<void> {
  if (!receipt.delivered && !receipt.read) return;
  const aliases = await aliasesOfTraces(trx, [receipt.traceId]);
  const deltas = new RollupDeltas();
  const key = { botId: receipt.botId, hour: hourOf(receipt.sentAt), alias: aliases.get(receipt.traceId) ?? '', channel: receipt.channel };
  if (receipt.delivered) deltas.add(key, 'delivered');
  if (receipt.read) deltas.add(key, 'read');
  await deltas.write(trx);
}
