import type { Clock } from '../../platform/clock';
import type { Config } from '../../platform/config/config';
import { addressKey, TokenBuckets } from '../../platform/http/token-buckets';

/** What a client of the web chat can ask for repeatedly without proving anything but a visitor token. */
export type WebchatAction = 'visitors' | 'updates' | 'streams' | 'uploads';

const MINUTE_MS = 60_000;

/**
 * The web chat's token buckets, per client address and per bot, for each action: one client cannot
 * mint visitors (each with its own per-visitor allowance) or open streams without end, and all
 * clients together cannot flood one bot. Held in the Runtime, one per server.
 */
export class WebchatLimits {
  private readonly buckets: Record<WebchatAction, { byAddress: TokenBuckets; byBot: TokenBuckets }>;

  constructor(config: Config, clock: Clock) {
    const pair = (perAddress: number, perBot: number) => ({ byAddress: new TokenBuckets(perAddress, MINUTE_MS, clock), byBot: new TokenBuckets(perBot, MINUTE_MS, clock) });
    this.buckets = {
      visitors: pair(config.WEBCHAT_IP_VISITORS_PER_MINUTE, config.WEBCHAT_BOT_VISITORS_PER_MINUTE),
      updates: pair(config.WEBCHAT_IP_UPDATES_PER_MINUTE, config.WEBCHAT_BOT_UPDATES_PER_MINUTE),
      streams: pair(config.WEBCHAT_IP_STREAMS_PER_MINUTE, config.WEBCHAT_BOT_STREAMS_PER_MINUTE),
      uploads: pair(config.WEBCHAT_IP_UPLOADS_PER_MINUTE, config.WEBCHAT_BOT_UPLOADS_PER_MINUTE),
    };
  }

  /** Takes one `action` for this address and bot: 0 when allowed, else the milliseconds to wait. */
  take(action: WebchatAction, address: string, botId: number): number {
    const { byAddress, byBot } = this.buckets[action];
    return byAddress.take(addressKey(address)) || byBot.take(String(botId));
  }
}
