import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';

/**
 * Wake-ups of this process's background loops, by loop name: a change that gives a loop work (an
 * event recorded, a message accepted, a token set) runs it at once instead of at its next tick.
 * Other processes on the same database find the work at their next tick. The one mechanism for
 * waking a loop: routes, capabilities and the loops themselves all go through it.
 */
export class Wakeups {
  private readonly signals = new EventEmitter().setMaxListeners(0);

  wake(loop: string): void {
    this.signals.emit(loop);
  }

  /** Wakes the loop once `db` (a transaction or the plain connection) has committed its change. */
  wakeAfterCommit(db: Knex, loop: string): void {
    const transaction = db as unknown as Partial<Knex.Transaction>;
    if (!transaction.executionPromise) return this.wake(loop);
    transaction.executionPromise.then(
      () => this.wake(loop),
      () => undefined,
    );
  }

  onWake(loop: string, listener: () => void): () => void {
    this.signals.on(loop, listener);
    return () => this.signals.off(loop, listener);
  }
}
