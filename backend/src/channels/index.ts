import type { AppContext } from '../platform/context';
import type { OutboundChannel } from './channel';
import type { ChannelName } from './inbound-update';
import { telegramChannel } from './telegram/telegram-channel';
import { webchatChannel } from './webchat/webchat-channel';

const byContext = new WeakMap<AppContext, Map<ChannelName, OutboundChannel>>();

/** The outbound channels of this process. A new channel adds one line here. */
function createChannels(ctx: AppContext): Map<ChannelName, OutboundChannel> {
  const channels = new Map<ChannelName, OutboundChannel>();
  channels.set('telegram', telegramChannel(ctx));
  channels.set('webchat', webchatChannel(ctx));
  return channels;
}

export function outboundChannel(ctx: AppContext, name: ChannelName): OutboundChannel | undefined {
  let channels = byContext.get(ctx);
  if (!channels) {
    channels = createChannels(ctx);
    byContext.set(ctx, channels);
  }
  return channels.get(name);
}
