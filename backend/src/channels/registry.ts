import type { OutboundChannel } from './channel';
import type { ChannelName } from './inbound-update';
import { telegramChannel } from './telegram/telegram-channel';
import type { WebchatContext } from './webchat/hub';
import { webchatChannel } from './webchat/webchat-channel';
import { vkChannel } from './vk/vk-channel';
import type { VkContext } from './vk/vk-runtime';
import { whatsappChannel } from './whatsapp/whatsapp-channel';

/** The outbound channels of this process, by name: what the delivery worker sends through. */
export type ChannelRegistry = ReadonlyMap<ChannelName, OutboundChannel>;

/** What sending needs: the registry the composition root built. */
export interface ChannelsContext {
  channels: ChannelRegistry;
}

/** Builds the registry once per runtime. A new channel adds one line here. */
export function createChannelRegistry(ctx: WebchatContext & VkContext): ChannelRegistry {
  return new Map<ChannelName, OutboundChannel>([
    ['telegram', telegramChannel(ctx)],
    ['webchat', webchatChannel(ctx)],
    ['whatsapp', whatsappChannel(ctx)],
    ['vk', vkChannel(ctx)],
  ]);
}
