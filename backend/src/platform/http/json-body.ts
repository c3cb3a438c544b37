import express, { type RequestHandler } from 'express';
import { measureJson } from '../json-size';
import { ApiError } from './errors';

/** Deeper than any real payload, shallow enough for every recursive reader of the body. */
export const MAX_JSON_DEPTH = 64;

/**
 * express.json, then the depth limit: every JSON body of the server is parsed this way, so a body
 * nested deeper than the limit is the caller's 400 before anything recursive reads it.
 */
export function jsonBody(options: { limit: string; type?: string[] }): RequestHandler {
  const parse = express.json(options);
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (typeof req.body === 'object' && req.body !== null && measureJson(req.body).depth > MAX_JSON_DEPTH) {
        return next(new ApiError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`));
      }
      next();
    });
}
