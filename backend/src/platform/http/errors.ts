import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { isDatabaseUnavailable, isUnstorableText } from '../db/database';
import type { Logger } from '../logging/logger';

export interface FieldError {
  path: string;
  message: string;
}

/** An error with an HTTP status and a message that is safe to show to the caller. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: { errorCode?: number; errors?: FieldError[] } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const unauthorized = (message = 'Missing or invalid API token') => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const invalid = (message: string, errors: FieldError[] = []) =>
  new ApiError(422, message, { errorCode: 422, errors });

export const errorBodySchema = z
  .object({
    success: z.literal(false),
    message: z.string(),
    errorCode: z.number().int().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    trace_id: z.string(),
  })
  .meta({ id: 'Error' });

export function zodIssuesToFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
}

/** Parses input with a zod schema; a mismatch becomes a 422 listing every problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalid(`Invalid ${what}`, zodIssuesToFieldErrors(result.error));
  return result.data;
}

export function sendError(res: Response, error: ApiError): void {
  res.status(error.status).json({
    success: false,
    message: error.message,
    ...error.details,
    trace_id: res.locals.traceId,
  });
}

/** Body-parser failures carry a `type`; they are the caller's fault and get their own answers. */
function fromBodyParser(error: { type?: string; status?: number }): ApiError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'Malformed JSON in request body');
    case 'entity.too.large':
      return new ApiError(413, 'Request body is larger than the limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'Unsupported body encoding');
    default:
      return error.status && error.status >= 400 && error.status < 500
        ? new ApiError(error.status, 'Bad request')
        : undefined;
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const known = error instanceof ApiError ? error : fromBodyParser(error);
    if (known) return sendError(res, known);
    if (isUnstorableText(error)) return sendError(res, new ApiError(400, 'Text with characters that cannot be stored (NUL)'));
    logger.error({ err: error, traceId: res.locals.traceId, path: req.path }, 'request failed');
    if (!isDatabaseUnavailable(error)) return sendError(res, new ApiError(500, 'Internal error'));
    res.setHeader('Retry-After', '5');
    sendError(res, new ApiError(503, 'Service unavailable: the database cannot be reached or written to right now; try again shortly'));
  };
}
