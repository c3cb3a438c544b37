/**
 * n8n's queue mode for tests and benchmarks: the environment every process of one installation
 * shares (Redis under a prefix of its own, n8n's PostgreSQL database), and the cleanup of the keys
 * BullMQ leaves under that prefix.
 */
import { requireFromN8n } from '../../nodes/support/n8n-runtime';

const redisUrl = () => new URL(process.env.METABOT_N8N_REDIS_URL ?? 'redis://127.0.0.1:6379');

/** n8n's environment for queue mode on this database and queue prefix. */
export function queueModeEnv(databaseUrl: string, bullPrefix: string): NodeJS.ProcessEnv {
  const database = new URL(databaseUrl);
  const redis = redisUrl();
  return {
    EXECUTIONS_MODE: 'queue',
    QUEUE_BULL_REDIS_HOST: redis.hostname,
    QUEUE_BULL_REDIS_PORT: redis.port || '6379',
    QUEUE_BULL_PREFIX: bullPrefix,
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: database.hostname,
    DB_POSTGRESDB_PORT: database.port || '5432',
    DB_POSTGRESDB_DATABASE: database.pathname.slice(1),
    DB_POSTGRESDB_USER: decodeURIComponent(database.username),
    DB_POSTGRESDB_PASSWORD: decodeURIComponent(database.password),
  };
}

/** The keys BullMQ left under this run's prefix. */
export async function removeQueueKeys(bullPrefix: string): Promise<void> {
  const Redis = requireFromN8n('ioredis');
  const redis = redisUrl();
  const client = new Redis({ host: redis.hostname, port: Number(redis.port || 6379), lazyConnect: true });
  await client.connect();
  const keys: string[] = await client.keys(`${bullPrefix}:*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
}
