import { ApiError } from '../api/errors';
import { botIdSchema, getBot } from '../bots/bots';
import { loadConfig } from '../config/config';
import type { AppContext } from '../context';
import { systemClock } from '../context';
import { createDatabase, migrateToLatest } from '../db/database';
import { createLogger } from '../logging/logger';

/** Every command answers with JSON on stdout so that scripts can read it. */
export const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Opens the database (migrated unless told not to) for one command, runs it and closes the database. */
export async function withContext<T>(work: (ctx: AppContext) => Promise<T>, options = { migrate: true }): Promise<T> {
  const config = loadConfig();
  const ctx: AppContext = { config, db: createDatabase(config), logger: createLogger('warn', { toStderr: true }), clock: systemClock };
  try {
    if (options.migrate) await migrateToLatest(ctx.db);
    return await work(ctx);
  } finally {
    await ctx.db.destroy();
  }
}

export async function requireBot(ctx: AppContext, value: string) {
  const bot = await getBot(ctx, botIdSchema.parse(value));
  if (!bot) throw new ApiError(404, `Bot ${value} does not exist`);
  return bot;
}
