import type { Clock } from '../clock';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key (a client address, a bot): each holds up to `capacity` tokens and refills at
 * `capacity` per `periodMs`, so a client may spend a period's worth at once and then the steady rate.
 * In memory, per process: what it guards is this process's work, and it costs no database round trip.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private sweptAt = 0;

  constructor(
    private readonly capacity: number,
    private readonly periodMs: number,
    private readonly clock: Clock,
  ) {
    this.perMs = capacity / periodMs;
  }

  /** Takes a token for `key`: 0 when granted, else the milliseconds until the next one. */
  take(key: string): number {
    const now = this.clock.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    const tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    const granted = tokens >= 1;
    this.buckets.set(key, { tokens: granted ? tokens - 1 : tokens, at: now });
    return granted ? 0 : Math.ceil((1 - tokens) / this.perMs);
  }

  /** A bucket untouched for a whole period is full again: forgetting it changes nothing and bounds the memory. */
  private sweep(now: number): void {
    if (now - this.sweptAt < this.periodMs) return;
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= this.periodMs) this.buckets.delete(key);
  }
}

/**
 * The key of a client address: IPv4 as is (also when mapped into IPv6), IPv6 by its /64, the
 * block one subscriber usually gets — otherwise each of its 2^64 addresses would get a full bucket.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const groups = head.split(':').filter(Boolean);
  const tailGroups = tail.split(':').filter(Boolean);
  const full = [...groups, ...Array<string>(8 - groups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${full.slice(0, 4).join(':')}::/64`;
}
