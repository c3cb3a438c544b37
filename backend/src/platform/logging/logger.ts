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

/** Logs to stdout, or to stderr (`toStderr`) where stdout carries a command's output (the CLI). */
export function createLogger(level: string, options: { toStderr?: boolean } = {}): Logger {
  const settings = { level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  return options.toStderr ? pino(settings, pino.destination(2)) : pino(settings);
}
