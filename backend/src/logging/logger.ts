import pino, { type Logger } from 'pino';

export type { Logger };

/** Secrets and personal data never reach the log, whatever object a caller passes in. */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
  '*.token',
  '*.telegramToken',
  '*.phone',
  '*.email',
  '*.secret',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' } });
}
