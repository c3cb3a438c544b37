import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { isPostgres } from '../platform/db/database';

/**
 * A transaction of the events worker. On PostgreSQL it commits without waiting for the WAL flush:
 * losing one of these commits in a crash only repeats work that is idempotent (a fan-out is redone
 * and its duplicate deliveries ignored; an attempt is made again, the subscriber de-duplicates on
 * X-Metabot-Delivery), and it spares a disk flush per step at high event rates.
 */
export function workerTransaction<T>(ctx: AppContext, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (trx) => {
    await commitAsynchronously(trx);
    return work(trx);
  });
}

/** Makes `trx` a worker transaction from here on: for one that may end up writing nothing, said only once it writes. */
export async function commitAsynchronously(trx: Knex.Transaction): Promise<void> {
  if (isPostgres(trx)) await trx.raw(`select set_config('synchronous_commit', 'off', true)`);
}
