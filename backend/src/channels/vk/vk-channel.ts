import { z } from 'zod';
import type { Config } from '../../platform/config/config';
import type { OutboundChannel, RenderedMessage, SendOutcome } from '../channel';
import { perBotCache } from '../per-bot-cache';
import { deliveryRandomId, sendParams } from './payloads';
import { PhotoRefused, uploadMessagePhoto } from './photos';
import { callVk, classifyVkFailure, VkApiError, type VkTarget } from './vk-api';
import type { VkContext, VkRuntime } from './vk-runtime';
import { getVkAccount, type VkAccount } from './vk-store';

const ACCOUNT_CACHE_MS = 5_000;

/** messages.send with `peer_ids` answers per peer, with the message's id in the dialog (what a `message_event` names). */
const sentSchema = z.array(
  z.object({ peer_id: z.number(), message_id: z.number().optional(), conversation_message_id: z.number().optional(), error: z.object({ code: z.number(), description: z.string().default('') }).optional() }),
).min(1);

export function vkTarget(config: Config, runtime: VkRuntime, account: Pick<VkAccount, 'groupId' | 'accessToken'>): VkTarget {
  return { config, pacer: runtime.pacer, groupId: account.groupId, accessToken: account.accessToken };
}

async function attachmentFor(ctx: Pick<VkContext, 'config' | 'vk'>, target: VkTarget, peerId: string, imageUrl: string): Promise<string | SendOutcome> {
  try {
    return await ctx.vk.photo(target.groupId, imageUrl, () => uploadMessagePhoto(target, peerId, imageUrl, ctx.config));
  } catch (error) {
    if (error instanceof PhotoRefused || error instanceof z.ZodError) return { kind: 'permanent', reason: `photo: ${error instanceof PhotoRefused ? error.message : 'VK answered the upload in an unknown shape'}` };
    return classifyVkFailure(error);
  }
}

/**
 * Sends one message to one VK dialog with `randomId`: VK drops a repeat of it, so the caller makes
 * every attempt of one copy use the same id. The external id is the message's number in the dialog.
 */
export async function sendVk(ctx: Pick<VkContext, 'config' | 'vk'>, account: VkAccount, peerId: string, message: RenderedMessage, randomId: number): Promise<SendOutcome> {
  const params = sendParams(message);
  if (typeof params === 'string') return { kind: 'permanent', reason: params };
  const target = vkTarget(ctx.config, ctx.vk, account);
  const attachment = message.imageUrl ? await attachmentFor(ctx, target, peerId, message.imageUrl) : undefined;
  if (typeof attachment === 'object') return attachment;
  try {
    const answer = await callVk(target, 'messages.send', { peer_ids: peerId, random_id: randomId, ...params, attachment, group_id: account.groupId });
    const [sent] = sentSchema.parse(answer);
    if (sent.error) return classifyVkFailure(new VkApiError(sent.error.code, sent.error.description));
    return { kind: 'ok', externalId: String(sent.conversation_message_id ?? sent.message_id ?? ''), repeatSafe: true };
  } catch (error) {
    // Accepted but unreadable: the message may be on its way; a retry with the same random_id cannot duplicate it.
    if (error instanceof z.ZodError) return { kind: 'transient', reason: 'VK answered messages.send in an unknown shape' };
    return classifyVkFailure(error);
  }
}

/** The VK channel for delivery: the bot's community read every few seconds (a change from the CLI is picked up). */
export function vkChannel(ctx: VkContext): OutboundChannel {
  const accountFor = perBotCache((botId) => getVkAccount(ctx, botId), ACCOUNT_CACHE_MS);
  return {
    name: 'vk',
    async send(recipient, message, options) {
      const account = await accountFor(recipient.botId);
      if (!account) return { kind: 'permanent', reason: 'this bot has no VK community (metabot-backend bot set-vk)' };
      if (options?.deliveryKey === undefined) return { kind: 'permanent', reason: 'a VK send needs its delivery row (random_id)' };
      return sendVk(ctx, account, recipient.chatId, message, deliveryRandomId(options.deliveryKey));
    },
  };
}
