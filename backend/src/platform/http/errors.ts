import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { isDatabaseUnavailable, isUnstorableText } from '../db/database';
import { DomainError, type DomainErrorKind, type FieldError } from '../errors';
import type { Logger } from '../logging/logger';

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

export const errorBodySchema = z
  .object({
    success: z.literal(false),
    message: z.string(),
    errorCode: z.number().int().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    trace_id: z.string(),
  })
  .meta({ id: 'Error' });

const statusOfKind: Record<DomainErrorKind, number> = { invalid: 422, not_found: 404, conflict: 409, forbidden: 403 };

/** A domain error as an answer: `invalid` lists every problem with errorCode 422, as the integration contract says. */
export function fromDomainError(error: DomainError): ApiError {
  if (error.kind !== 'invalid') return new ApiError(statusOfKind[error.kind], error.message);
  return new ApiError(422, error.message, { errorCode: 422, errors: error.errors });
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

function knownError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return fromDomainError(error);
  if (isUnstorableText(error)) return new ApiError(400, 'Text with characters that cannot be stored (NUL)');
  return fromBodyParser(error as { type?: string; status?: number });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const known = knownError(error);
    if (known) return sendError(res, known);
    logger.error({ err: error, traceId: res.locals.traceId, path: req.path }, 'request failed');
    if (!isDatabaseUnavailable(error)) return sendError(res, new ApiError(500, 'Internal error'));
    res.setHeader('Retry-After', '5');
    sendError(res, new ApiError(503, 'Service unavailable: the database cannot be reached or written to right now; try again shortly'));
  };
}
