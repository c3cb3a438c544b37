import type { Command } from 'commander';
import { migrateToLatest } from '../platform/db/database';
import { print, withContext } from './command-context';

/** What `serve` runs: the composition root's server, handed in by the binary (backend/src/main.ts). */
export type StartServer = () => Promise<{ close(): Promise<void> }>;

export function registerServeCommands(program: Command, startServer: StartServer): void {
  program.command('serve').description('Migrate the database and start the HTTP server and workers').action(async () => {
    const server = await startServer();
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  program.command('migrate').description('Apply pending database migrations').action(() =>
    withContext(async (ctx) => print({ applied: await migrateToLatest(ctx.db) }), { migrate: false }),
  );
}
