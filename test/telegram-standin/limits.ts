/**
 * Telegram's flood limits as sliding windows: at most `max` sends in any `windowMs`. Telegram does
 * not publish exact algorithms; these follow its documented guidance, the Bot FAQ "My bot is
 * hitting limits, how do I avoid this?" (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
 * - in one chat, no more than one message per second, short bursts allowed ("eventually you'll
 *   begin receiving 429 errors"): here 3 in any 3 s per private chat;
 * - bulk notifications to many users: no more than about 30 messages per second per bot;
 * - no more than 20 messages per minute to the same group: here 20 in any 60 s for a chat id < 0
 *   (groups, supergroups and channels have negative ids), counted on top of the bot's 30/s.
 * Refusals answer like Telegram does: 429 with `retry_after` in whole seconds.
 */
export interface StandinLimits {
  /** false turns every limit off (engine capacity benchmarks). */
  enabled: boolean;
  perBotPerSecond: number;
  /** With `allow_paid_broadcast: true` on the request. */
  paidBroadcastPerSecond: number;
  /** A private chat may take `chatBurst` messages in any `chatBurst` seconds (≈1/s with short bursts). */
  chatBurst: number;
  perGroupPerMinute: number;
}

export const telegramLimits: StandinLimits = {
  enabled: true,
  perBotPerSecond: 30,
  paidBroadcastPerSecond: 1000,
  chatBurst: 3,
  perGroupPerMinute: 20,
};

export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until one more send fits, 0 when it fits now. */
  waitMs(now: number): number {
    this.prune(now);
    if (this.times.length < this.max) return 0;
    return this.times[this.times.length - this.max] + this.windowMs - now;
  }

  record(now: number): void {
    this.times.push(now);
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.times.length && this.times[drop] <= now - this.windowMs) drop++;
    if (drop > 0) this.times.splice(0, drop);
  }
}

/** The windows of one bot: one for the bot, one per chat. */
export class BotLimiter {
  private bot?: SlidingWindow;
  private paid?: SlidingWindow;
  private readonly chats = new Map<number, SlidingWindow>();

  constructor(private readonly limits: () => StandinLimits) {}

  /** Seconds to wait (Telegram's retry_after) or 0 when the send may go now; records it if so. */
  admit(chatId: number, paidBroadcast: boolean, now: number): number {
    const limits = this.limits();
    if (!limits.enabled) return 0;
    const botWindow = paidBroadcast
      ? (this.paid ??= new SlidingWindow(limits.paidBroadcastPerSecond, 1000))
      : (this.bot ??= new SlidingWindow(limits.perBotPerSecond, 1000));
    const chatWindow = this.chatWindow(chatId, limits);
    const wait = Math.max(botWindow.waitMs(now), chatWindow.waitMs(now));
    if (wait > 0) return Math.max(1, Math.ceil(wait / 1000));
    botWindow.record(now);
    chatWindow.record(now);
    return 0;
  }

  /** Forgets the windows (after the limits changed). */
  reset(): void {
    this.bot = undefined;
    this.paid = undefined;
    this.chats.clear();
  }

  private chatWindow(chatId: number, limits: StandinLimits): SlidingWindow {
    let window = this.chats.get(chatId);
    if (!window) {
      window = chatId < 0
        ? new SlidingWindow(limits.perGroupPerMinute, 60_000)
        : new SlidingWindow(limits.chatBurst, limits.chatBurst * 1000);
      this.chats.set(chatId, window);
    }
    return window;
  }
}
