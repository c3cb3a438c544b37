import { notFound } from '../platform/errors';
import { botIdSchema, getBot } from '../bots/bots';
import { loadConfig } from '../platform/config/config';
import { type AppContext, closeAppContext, createAppContext } from '../platform/context';
import { migrateToLatest } from '../platform/db/database';
import { createLogger } from '../platform/logging/logger';

/** Every command answers with JSON on stdout so that scripts can read it. */
export const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Opens the database (migrated unless told not to) for one command, runs it and closes the database. */
export async function withContext<T>(work: (ctx: AppContext) => Promise<T>, options = { migrate: true }): Promise<T> {
  const config = loadConfig();
  const ctx = createAppContext(config, { logger: createLogger('warn', { toStderr: true }) });
  try {
    if (options.migrate) await migrateToLatest(ctx.db);
    return await work(ctx);
  } finally {
    await closeAppContext(ctx);
  }
}

export async function requireBot(ctx: AppContext, value: string) {
  const bot = await getBot(ctx, botIdSchema.parse(value));
  if (!bot) throw notFound(`Bot ${value} does not exist`);
  return bot;
}
