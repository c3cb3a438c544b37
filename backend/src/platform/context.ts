import type { Config } from './config/config';
import type { Database } from './db/database';
import type { Logger } from './logging/logger';

export interface Clock {
  /** Epoch milliseconds. Tests inject their own clock to move time (retry schedules, pauses). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What every capability receives: the configuration, the database, the logger and the clock. */
export interface AppContext {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
}
