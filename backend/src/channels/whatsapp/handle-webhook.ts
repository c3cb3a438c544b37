import type { InboundContext } from '../../inbound/hooks';
import { handleInbound } from '../../inbound/inbound';
import { applyStatus, StatusAheadOfSend } from './statuses';
import { toInboundUpdate, type WhatsappChange } from './updates';
import { sendWhatsapp } from './whatsapp-channel';
import { recordInbound, type WhatsappAccount } from './whatsapp-store';

interface WebhookResult {
  /** Some status named a send not recorded yet: answer non-2xx so Meta delivers the webhook again. */
  retry: boolean;
}

/** Each message opens the window, goes through the inbound pipeline, and gets its immediate reply. */
async function handleMessages(ctx: InboundContext, account: WhatsappAccount, change: WhatsappChange): Promise<void> {
  for (const message of change.messages) {
    await recordInbound(ctx.db, account.botId, message.from, ctx.clock.now());
    const result = await handleInbound(ctx, toInboundUpdate(account.botId, message, change));
    if (!result.reply) continue;
    const outcome = await sendWhatsapp(ctx, account, message.from, result.reply);
    if (outcome.kind !== 'ok') ctx.logger.warn({ botId: account.botId, outcome, traceId: result.traceId }, 'immediate reply not delivered');
  }
}

async function handleStatuses(ctx: InboundContext, account: WhatsappAccount, change: WhatsappChange): Promise<boolean> {
  let ahead = false;
  for (const status of change.statuses) {
    try {
      await ctx.db.transaction((trx) => applyStatus(trx, ctx, account.botId, status));
    } catch (error) {
      if (!(error instanceof StatusAheadOfSend)) throw error;
      ahead = true;
    }
  }
  return ahead;
}

/**
 * One signed webhook: messages first (a redelivery is dropped by the pipeline's update-id guard,
 * so asking Meta again is safe), then delivery receipts. Throws when something could not be
 * stored, so the webhook answers 500 and Meta delivers it again.
 */
export async function handleWhatsappWebhook(ctx: InboundContext, account: WhatsappAccount, changes: WhatsappChange[]): Promise<WebhookResult> {
  let retry = false;
  for (const change of changes) {
    await handleMessages(ctx, account, change);
    if (await handleStatuses(ctx, account, change)) retry = true;
  }
  return { retry };
}
