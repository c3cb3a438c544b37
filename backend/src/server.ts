import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import type { Clock } from './platform/clock';
import { type Config, loadConfig } from './platform/config/config';
import { closeAppContext, createAppContext } from './platform/context';
import { migrateToLatest } from './platform/db/database';
import { startMetricsListener } from './platform/metrics/metrics-routes';
import { createLogger } from './platform/logging/logger';
import type { DestinationStream } from 'pino';
import { createRuntime, type Runtime } from './runtime';
import { startWorkers, type Workers } from './workers';

export interface RunningServer {
  ctx: Runtime;
  url: string;
  port: number;
  /** The loopback listener that serves `/metrics` without a token, when METRICS_PORT is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  clock?: Clock;
  /** Where the log goes instead of stdout (a test reading what a request logged). */
  logDestination?: DestinationStream;
}

/** Migrates the database, starts the HTTP server and the background workers. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const logger = createLogger(config.LOG_LEVEL, { destination: options.logDestination });
  const ctx = createRuntime(createAppContext(config, { logger, clock: options.clock }));
  await migrateToLatest(ctx.db);

  const server = http.createServer(createApp(ctx));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  if (config.PORT === 0 && !config.PUBLIC_URL) ctx.config = { ...config, publicUrl: url };
  const metrics = config.METRICS_PORT === undefined ? undefined : await startMetricsListener(config.METRICS_PORT);
  const workers: Workers | undefined = config.WORKERS_ENABLED ? startWorkers(ctx) : undefined;
  logger.info({ url, database: config.DATABASE_URL ? 'postgresql' : config.sqliteFile }, 'metabot backend listening');

  return {
    ctx,
    url,
    port,
    metricsUrl: metrics?.url,
    async close() {
      await workers?.stop();
      await metrics?.close();
      ctx.callAnswers.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeAppContext(ctx);
    },
  };
}
