import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';

const MAX_LATER = 1000;
/** setTimeout's longest delay; a time further ahead is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs `work` once `db` has committed (at once for the plain connection); a rollback runs nothing. */
function afterCommit(db: Knex, work: () => void): void {
  const transaction = db as unknown as Partial<Knex.Transaction>;
  if (!transaction.executionPromise) return work();
  transaction.executionPromise.then(work, () => undefined);
}

/**
 * Wake-ups of this process's background loops, by loop name: a change that gives a loop work (an
 * event recorded, a message accepted, a token set) runs it at once instead of at its next tick.
 * Other processes on the same database find the work at their next tick. The one mechanism for
 * waking a loop: routes, capabilities and the loops themselves all go through it.
 */
export class Wakeups {
  private readonly signals = new EventEmitter().setMaxListeners(0);
  /** Per loop: the real times it was asked to wake at, soonest first, and the timer of the soonest. */
  private readonly later = new Map<string, { times: number[]; timer?: NodeJS.Timeout }>();

  wake(loop: string): void {
    this.signals.emit(loop);
  }

  /** Wakes the loop once `db` (a transaction or the plain connection) has committed its change. */
  wakeAfterCommit(db: Knex, loop: string): void {
    afterCommit(db, () => this.wake(loop));
  }

  /**
   * Wakes the loop in `delayMs` of real time once `db` has committed: work that becomes due later
   * (a scheduled send). One timer per loop, for the soonest time asked; at most MAX_LATER times are
   * kept per loop (the latest dropped), because the loop's own tick finds due work anyway — this
   * only makes it leave at its time rather than at the next tick. Timers do not keep the process alive.
   */
  wakeLaterAfterCommit(db: Knex, loop: string, delayMs: number): void {
    afterCommit(db, () => this.wakeAtTime(loop, Date.now() + Math.max(0, delayMs)));
  }

  private wakeAtTime(loop: string, at: number): void {
    const entry = this.later.get(loop) ?? { times: [] };
    this.later.set(loop, entry);
    if (entry.times.includes(at)) return;
    const index = entry.times.findIndex((t) => t > at);
    entry.times.splice(index === -1 ? entry.times.length : index, 0, at);
    if (entry.times.length > MAX_LATER) entry.times.pop();
    this.arm(loop, entry);
  }

  private arm(loop: string, entry: { times: number[]; timer?: NodeJS.Timeout }): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.times.length === 0) return;
    entry.timer = setTimeout(() => {
      const now = Date.now();
      while (entry.times.length > 0 && entry.times[0] <= now) entry.times.shift();
      this.wake(loop);
      this.arm(loop, entry);
    }, Math.min(MAX_TIMER_MS, Math.max(0, entry.times[0] - Date.now())));
    entry.timer.unref();
  }

  onWake(loop: string, listener: () => void): () => void {
    this.signals.on(loop, listener);
    return () => this.signals.off(loop, listener);
  }
}
