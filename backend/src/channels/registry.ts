import type { OutboundChannel } from './channel';
import type { ChannelName } from './inbound-update';
import { telegramChannel } from './telegram/telegram-channel';
import type { WebchatContext } from './webchat/hub';
import { webchatChannel } from './webchat/webchat-channel';
import { whatsappChannel } from './whatsapp/whatsapp-channel';

/** The outbound channels of this process, by name: what the delivery worker sends through. */
export type ChannelRegistry = ReadonlyMap<ChannelName, OutboundChannel>;

/** What sending needs: the registry the composition root built. */
export interface ChannelsContext {
  channels: ChannelRegistry;
}

/** Builds the registry once per runtime. A new channel adds one line here. */
export function createChannelRegistry(ctx: WebchatContext): ChannelRegistry {
  return new Map<ChannelName, OutboundChannel>([
    ['telegram', telegramChannel(ctx)],
    ['webchat', webchatChannel(ctx)],
    ['whatsapp', whatsappChannel(ctx)],
  ]);
}
