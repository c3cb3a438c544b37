import pino, { type DestinationStream, type Logger } from 'pino';

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

/** Logs to stdout, to stderr (`toStderr`) where stdout carries a command's output (the CLI), or to a given stream. */
export function createLogger(level: string, options: { toStderr?: boolean; destination?: DestinationStream } = {}): Logger {
  const settings = { level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  const destination = options.destination ?? (options.toStderr ? pino.destination(2) : undefined);
  return destination ? pino(settings, destination) : pino(settings);
}

/**
 * Query parameters whose value is a credential: a link token in `?link=` (a chat page opened from
 * a CRM), and anything named like a token, secret, key, password, signature or code.
 */
const SECRET_PARAM = /^(link|code|sig|state)$|token|secret|key|passw|signature|auth|session/i;

/** A URL with the value of every secret-bearing query parameter replaced; the rest left as sent. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0];
      return SECRET_PARAM.test(safeDecode(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${params.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

interface SerializedRequest {
  url?: string;
  query?: unknown;
  headers?: Record<string, unknown>;
}

/**
 * pino-http's request serializer, on top of pino's own: the URL, the parsed query and the Referer
 * (a page opened with `?link=` sends it on) lose their secret values. Copies, never the live request.
 */
export function redactRequest<T extends SerializedRequest>(req: T): T {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  if (req.query && typeof req.query === 'object') {
    req.query = Object.fromEntries(Object.entries(req.query).map(([name, value]) => [name, SECRET_PARAM.test(name) ? '[redacted]' : value]));
  }
  const referer = req.headers?.referer;
  if (typeof referer === 'string') req.headers = { ...req.headers, referer: redactUrl(referer) };
  return req;
}
