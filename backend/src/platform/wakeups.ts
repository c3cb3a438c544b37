import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';

/**
 * In-process wake-ups for background loops: a change that gives a loop work (an event recorded, a
 * subscription created) wakes it at once instead of waiting for its next tick. Other processes on
 * the same database still find the work at their next tick.
 */
const signals = new EventEmitter();
signals.setMaxListeners(0);

export function wake(loopName: string): void {
  signals.emit(loopName);
}

/** Wakes the loop once `db` (a transaction or the plain connection) has committed its change. */
export function wakeAfterCommit(db: Knex, loopName: string): void {
  const transaction = db as unknown as Partial<Knex.Transaction>;
  if (!transaction.executionPromise) return wake(loopName);
  transaction.executionPromise.then(
    () => wake(loopName),
    () => undefined,
  );
}

export function onWake(loopName: string, listener: () => void): () => void {
  signals.on(loopName, listener);
  return () => signals.off(loopName, listener);
}
