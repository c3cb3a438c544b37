import path from 'node:path';
import { z } from 'zod';
import { phoneCountrySchema } from './phone-country';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** One `host[:port]` entry of WEBHOOK_ALLOWED_HOSTS; the host as the URL parser writes it (lower case, 127.0.0.1 for 2130706433, [::1]). */
const allowedHostSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]@]+)(:\d{1,5})?$/, 'must be host or host:port')
  .refine((entry) => URL.canParse(`http://${entry}`), 'must be host or host:port')
  .transform((entry) => {
    const port = /:(\d{1,5})$/.exec(entry)?.[1];
    return { host: new URL(`http://${entry}`).hostname, port: port === undefined ? undefined : Number(port) };
  });

const allowedHostsSchema = z
  .string()
  .default('')
  .transform((list) => list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
  .pipe(z.array(allowedHostSchema));

/**
 * Express's `trust proxy`: `false` (the socket's address is the client's), `true` (the left-most
 * X-Forwarded-For, only behind a proxy that overwrites it), a hop count, or the proxies' addresses
 * and subnets (`loopback, 10.0.0.0/8`).
 */
const trustProxy = z
  .string()
  .trim()
  .min(1)
  .transform((value): boolean | number | string[] => {
    if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',').map((part) => part.trim());
  });

/** A web-chat token bucket: so many a minute, a minute's worth at once. */
const perMinute = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/**
 * Every environment variable the backend reads. The README's configuration table is this schema
 * in prose: keep the two in step.
 */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TRUST_PROXY: trustProxy.default(false),
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
  /**
   * The body of a send, which may carry files in base64 (a third larger than the file): enough for
   * Telegram's 10 MB photo upload. Raise it (to 70mb) for 50 MB documents; files by URL or file id
   * are not bounded by it.
   */
  MESSAGE_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 20mb')
    .default('20mb'),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().default(24),
  SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`')
    .optional(),
  /**
   * Where the generated key is kept when SECRET_KEY is unset (default DATA_DIR/secret.key). Outside
   * DATA_DIR, a copy of the data folder (a backup, a stolen disk image) does not carry its own key.
   */
  SECRET_KEY_FILE: z.string().min(1).optional(),
  WORKERS_ENABLED: booleanFromEnv.default(true),
  TELEGRAM_API_ROOT: z.url().transform((url) => url.replace(/\/$/, '')).default('https://api.telegram.org'),
  /**
   * How long a pressed button waits for a workflow's answer (a toast or an alert, POST
   * …/buttons/{callbackId}/answer) before the backend answers it empty so it stops spinning.
   */
  TELEGRAM_BUTTON_ANSWER_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(2000),
  TELEGRAM_MODE: z.enum(['polling', 'webhook']).default('polling'),
  // The Graph API with its version: Meta's, or the stand-in in tests.
  WHATSAPP_API_ROOT: z.url().transform((url) => url.replace(/\/$/, '')).default('https://graph.facebook.com/v23.0'),
  // VK's API methods (`<root>/<method>`): VK's, or the stand-in in tests; the version every call names.
  VK_API_ROOT: z.url().transform((url) => url.replace(/\/$/, '')).default('https://api.vk.com/method'),
  VK_API_VERSION: z.string().regex(/^5\.\d{1,3}$/).default('5.199'),
  // Updates by Bots Long Poll (no public URL needed) or only by the Callback API (VK posts to PUBLIC_URL/vk/{botId}/callback).
  VK_MODE: z.enum(['longpoll', 'callback']).default('longpoll'),
  // VK allows a community token 20 API calls a second; one under, as for Telegram.
  VK_RATE_PER_SECOND: z.coerce.number().positive().max(1000).default(19),
  // Seconds a Long Poll request waits for events (VK's maximum is 90; proxies often cut at 30).
  VK_LONGPOLL_WAIT: z.coerce.number().int().min(1).max(90).default(25),
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
  /**
   * Web chat, per client address (TRUST_PROXY decides which) and per bot across all addresses: new
   * visitors, updates and event streams a minute. A browser makes one visitor and a few streams.
   */
  WEBCHAT_IP_VISITORS_PER_MINUTE: perMinute(20),
  WEBCHAT_BOT_VISITORS_PER_MINUTE: perMinute(600),
  WEBCHAT_IP_UPDATES_PER_MINUTE: perMinute(120),
  WEBCHAT_BOT_UPDATES_PER_MINUTE: perMinute(3000),
  WEBCHAT_IP_STREAMS_PER_MINUTE: perMinute(60),
  WEBCHAT_BOT_STREAMS_PER_MINUTE: perMinute(3000),
  /** Web chat: files visitors send, per client address and per bot a minute (each also counts as one of the visitor's messages). */
  WEBCHAT_IP_UPLOADS_PER_MINUTE: perMinute(10),
  WEBCHAT_BOT_UPLOADS_PER_MINUTE: perMinute(300),
  /** Web chat: the largest file a visitor may send (bytes, default 10 MB); larger is a 413. */
  WEBCHAT_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Web chat: days a visitor's file is kept (its bytes and row; the history keeps the entry). 0 keeps them forever. */
  WEBCHAT_FILE_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Web chat: event streams one visitor may hold open in this process; a new one closes the oldest. */
  WEBCHAT_STREAMS_PER_VISITOR: z.coerce.number().int().min(1).default(3),
  /**
   * PostgreSQL: how long this process may serve a token, bot or map version from memory without
   * reading it again. Changes reach the cache by LISTEN/NOTIFY within milliseconds; this bounds
   * the staleness if that connection dies silently.
   */
  READ_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** Web chat: the longest text a visitor may send (characters); longer is a 422. */
  WEBCHAT_MAX_TEXT: z.coerce.number().int().min(1).max(10_000).default(2000),
  /** Webhooks and resume calls may go to loopback and private networks (a local n8n); link-local and metadata addresses stay refused. */
  WEBHOOK_ALLOW_PRIVATE: booleanFromEnv.default(false),
  /** Comma-separated host[:port] targets on a loopback or private address that webhooks and resume calls may reach. */
  WEBHOOK_ALLOWED_HOSTS: allowedHostsSchema,
  /** Console: how long a login lasts (hours); "log out everywhere" ends it sooner. */
  CONSOLE_SESSION_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
  /** Console logins: attempts per account and per client address within the window; more is a 429. */
  CONSOLE_LOGIN_WINDOW_MINUTES: z.coerce.number().positive().max(24 * 60).default(15),
  CONSOLE_LOGIN_ACCOUNT_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  CONSOLE_LOGIN_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).default(50),
  /** Console: the desk's event streams one session may hold open in one process; one more is a 429. */
  CONSOLE_STREAMS_PER_SESSION: z.coerce.number().int().min(1).max(100).default(4),
  /** Set: `/metrics` on the main port answers a bearer request with this token. Unset: it is not served there. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Set: `/metrics` without a token on 127.0.0.1 at this port (`0` picks a free one). Unset: no such listener. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** Where SQLite keeps its file when DATABASE_URL is unset. */
  sqliteFile: string;
  /** The generated key's file (SECRET_KEY_FILE or DATA_DIR/secret.key), read when SECRET_KEY is unset. */
  secretKeyFile: string;
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
    secretKeyFile: path.resolve(raw.SECRET_KEY_FILE ?? path.join(raw.DATA_DIR, 'secret.key')),
    publicUrl: (raw.PUBLIC_URL ?? `http://${raw.HOST === '0.0.0.0' ? '127.0.0.1' : raw.HOST}:${raw.PORT}`).replace(/\/$/, ''),
  };
}
