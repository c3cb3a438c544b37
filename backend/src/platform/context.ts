import { type Clock, systemClock } from './clock';
import type { Config } from './config/config';
import { CommittedReads } from './db/committed-reads';
import { createDatabase, type Database } from './db/database';
import type { Logger } from './logging/logger';
import { Wakeups } from './wakeups';

/**
 * What every capability receives from the platform: the configuration, the database and its
 * committed reads, the logger, the clock (injected so tests can move time) and the wake-ups of
 * this process's loops. Capabilities that need more state of the process (channels, hooks, hubs)
 * declare it in a context type of their own, which the composition root's runtime satisfies.
 */
export interface AppContext {
  config: Config;
  db: Database;
  reads: CommittedReads;
  logger: Logger;
  clock: Clock;
  wakeups: Wakeups;
}

/** Opens the platform for one process (a server, or one CLI command): the database, its committed reads, the wake-ups. */
export function createAppContext(config: Config, options: { logger: Logger; clock?: Clock }): AppContext {
  const db = createDatabase(config);
  return { config, db, reads: new CommittedReads(db, { cacheTtlMs: config.READ_CACHE_TTL_MS }), logger: options.logger, clock: options.clock ?? systemClock, wakeups: new Wakeups() };
}

export async function closeAppContext(ctx: AppContext): Promise<void> {
  await ctx.reads.close();
  await ctx.db.destroy();
}
