import path from 'node:path';
import { z } from 'zod';
import { phoneCountrySchema } from './phone-country';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * Every environment variable the backend reads. The README's configuration table is this schema
 * in prose: keep the two in step.
 */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL; leave it unset for the embedded SQLite')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 1mb')
    .default('1mb'),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().default(24),
  SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`')
    .optional(),
  WORKERS_ENABLED: booleanFromEnv.default(true),
  TELEGRAM_API_ROOT: z.url().transform((url) => url.replace(/\/$/, '')).default('https://api.telegram.org'),
  TELEGRAM_MODE: z.enum(['polling', 'webhook']).default('polling'),
  // The Graph API with its version: Meta's, or the stand-in in tests.
  WHATSAPP_API_ROOT: z.url().transform((url) => url.replace(/\/$/, '')).default('https://graph.facebook.com/v23.0'),
  // One under Telegram's 30/s: sends leave a little late under load, and a 429 costs a whole second.
  DELIVERY_RATE_PER_SECOND: z.coerce.number().positive().max(100_000).default(29),
  DELIVERY_PAID_RATE_PER_SECOND: z.coerce.number().positive().max(100_000).default(1000),
  DELIVERY_CHAT_SPACING_MS: z.coerce.number().int().min(0).default(1000),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  DELIVERY_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(1000),
  DELIVERY_BACKOFF_CAP_MS: z.coerce.number().int().min(1).default(5 * 60_000),
  DELIVERY_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  DELIVERY_POLL_MS: z.coerce.number().int().min(5).default(250),
  /** How long an event no subscription matched waits for a matching subscription to be created. */
  EVENT_RETENTION_HOURS: z.coerce.number().positive().default(72),
  /** How long delivered events, finished webhook deliveries and finished message recipients are kept. */
  HISTORY_RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(30),
  /** The country of phone numbers written without a country code (a bot may set its own). */
  DEFAULT_PHONE_COUNTRY: phoneCountrySchema.default('RU'),
  /** Web chat: messages (texts, taps, contacts) one visitor may send per minute; more is a 429. */
  WEBCHAT_VISITOR_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Web chat: the longest text a visitor may send (characters); longer is a 422. */
  WEBCHAT_MAX_TEXT: z.coerce.number().int().min(1).max(10_000).default(2000),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** Where SQLite keeps its file when DATABASE_URL is unset. */
  sqliteFile: string;
  /** The base URL this server is reachable at (PUBLIC_URL or derived from HOST:PORT). */
  publicUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`),
    );
  }
  const raw = parsed.data;
  return {
    ...raw,
    sqliteFile: path.resolve(raw.DATA_DIR, 'metabot.sqlite'),
    publicUrl: (raw.PUBLIC_URL ?? `http://${raw.HOST === '0.0.0.0' ? '127.0.0.1' : raw.HOST}:${raw.PORT}`).replace(/\/$/, ''),
  };
}
