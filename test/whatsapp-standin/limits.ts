import { SlidingWindow } from '../telegram-standin/limits';

/**
 * Throughput and pair rate, from developers.facebook.com/docs/whatsapp/throughput: a business number
 * sends up to 80 messages per second by default (beyond: 130429), and one business number may send
 * one message every 6 seconds to the same person, with short bursts allowed and paid back by
 * waiting (beyond: 131056). Meta gives no retry-after; the stand-in does not either.
 */
export interface WhatsappLimits {
  enabled: boolean;
  perNumberPerSecond: number;
  /** Messages to one person that may leave at once. */
  pairBurst: number;
  /** After the burst, one message per person per this interval. */
  pairIntervalMs: number;
}

export const whatsappLimits: WhatsappLimits = { enabled: true, perNumberPerSecond: 80, pairBurst: 45, pairIntervalMs: 6_000 };

/** A token bucket: `burst` tokens, one back every `intervalMs`. */
class PairBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) / this.intervalMs);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The limits of one business number. */
export class NumberLimiter {
  private window?: SlidingWindow;
  private readonly pairs = new Map<string, PairBucket>();

  constructor(private readonly limits: () => WhatsappLimits) {}

  /** Which limit a send now would break, or undefined (and the send is counted). */
  check(to: string, now: number): 'throughput' | 'pair' | undefined {
    const limits = this.limits();
    if (!limits.enabled) return undefined;
    this.window ??= new SlidingWindow(limits.perNumberPerSecond, 1000);
    if (this.window.waitMs(now) > 0) return 'throughput';
    let pair = this.pairs.get(to);
    if (!pair) this.pairs.set(to, (pair = new PairBucket(limits.pairBurst, limits.pairIntervalMs, now)));
    if (!pair.take(now)) return 'pair';
    this.window.record(now);
    return undefined;
  }

  reset(): void {
    this.window = undefined;
    this.pairs.clear();
  }
}
