import { handleInbound } from '../../inbound/inbound';
import type { Profile } from '../inbound-update';
import { replyRandomId } from './payloads';
import { toInbound, type VkButtonEvent, type VkEvent } from './updates';
import { callVk } from './vk-api';
import { sendVk, vkTarget } from './vk-channel';
import type { VkContext } from './vk-runtime';
import type { VkAccount } from './vk-store';

/** A pressed callback button spins until answered: answered whatever became of the tap. */
async function answerButton(ctx: VkContext, account: VkAccount, button: VkButtonEvent): Promise<void> {
  await callVk(vkTarget(ctx.config, ctx.vk, account), 'messages.sendMessageEventAnswer', { event_id: button.eventId, user_id: button.userId, peer_id: button.peerId }).catch((error: unknown) =>
    ctx.logger.debug({ botId: account.botId, error: (error as Error).message }, 'sendMessageEventAnswer failed'),
  );
}

/** The person's name for a private dialog (peer id = user id); a group chat or a failed lookup gives none. */
async function profileOf(ctx: VkContext, account: VkAccount, chatId: string): Promise<Profile> {
  const userId = Number(chatId);
  if (!(userId > 0 && userId < 2_000_000_000)) return {};
  return ctx.vk.profiles.of(vkTarget(ctx.config, ctx.vk, account), userId).catch((error: unknown) => {
    ctx.logger.debug({ botId: account.botId, error: (error as Error).message }, 'VK users.get failed');
    return {};
  });
}

/**
 * One community event, from the Callback API or Long Poll: normalised, handed to the inbound
 * pipeline (which drops a repeated event_id), the immediate reply sent with a random_id derived
 * from the event (a redelivered event sends nothing twice), and a tap answered. Throws when the
 * event could not be stored, so it is delivered again.
 */
export async function handleVkEvent(ctx: VkContext, account: VkAccount, event: VkEvent): Promise<void> {
  const inbound = toInbound(account.botId, event);
  try {
    for (const update of inbound.updates) {
      const result = await handleInbound(ctx, { ...update, profile: { ...(await profileOf(ctx, account, update.chatId)), ...update.profile } });
      if (!result.reply) continue;
      const outcome = await sendVk(ctx, account, update.chatId, result.reply, replyRandomId(`${account.botId}:${update.updateId ?? result.traceId}`));
      if (outcome.kind !== 'ok') ctx.logger.warn({ botId: account.botId, outcome, traceId: result.traceId }, 'immediate reply not delivered');
    }
  } finally {
    if (inbound.button) await answerButton(ctx, account, inbound.button);
  }
}
