import { type Clock, systemClock } from '../platform/clock';

/**
 * The clock of real-time pacing: Telegram counts its limits in real seconds, so rate slots, the
 * bot's 429 pause, sleeping until a slot and the start window run on it, never on the context's
 * clock that tests move. Every wall-clock reading of the delivery loop goes through this name.
 */
export const wallClock: Clock = systemClock;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the wall-clock time `at` (at once when it has passed). */
export async function sleepUntil(at: number): Promise<void> {
  const wait = at - wallClock.now();
  if (wait > 0) await sleep(wait);
}

/** Caps the sends of one batch that wait for Telegram at once, so a slow Telegram does not pile up requests. */
export class Semaphore {
  private waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * This process's send starts of one bot in the last second. The shared slots pace the bot across
 * processes; this stops sends that were held up (a busy event loop) from leaving in a bunch that
 * would exceed Telegram's per-second window.
 */
export class StartWindow {
  private times: number[] = [];
  private head = 0;

  async waitTurn(perSecond: number): Promise<void> {
    const capacity = Math.max(1, Math.floor(perSecond));
    for (;;) {
      const now = wallClock.now();
      this.forgetBefore(now - 1000);
      if (this.times.length - this.head < capacity) break;
      await sleep(this.times[this.head] + 1000 - now);
    }
    this.times.push(wallClock.now());
  }

  /** Drops starts at or before `since`; the array is compacted now and then rather than shifted per start. */
  private forgetBefore(since: number): void {
    while (this.head < this.times.length && this.times[this.head] <= since) this.head += 1;
    if (this.head > 1024) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
