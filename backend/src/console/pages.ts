import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { ApiError, sendError } from '../platform/http/errors';

/** The console's pages, built by Vite from console/ (the repository's own build) into console/dist. */
const builtDir = path.resolve(__dirname, '../../../console/dist');

/**
 * Only the console's own files run: no inline script or style, nothing from elsewhere, never in a
 * frame. React sets styles through the DOM (allowed), never through style attributes in markup.
 */
export const CONSOLE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The console's security headers, on its pages and its API alike. */
export const consoleHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONSOLE_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};

/** `/console` (the page; its routes are in the fragment), its icon and `/console/assets/*` (hashed names, cached for a year). */
export function consolePagesRouter(): Router {
  const router = Router();
  const index = path.join(builtDir, 'index.html');
  router.use('/assets', express.static(path.join(builtDir, 'assets'), { immutable: true, maxAge: '365d', index: false }));
  router.get('/favicon.svg', (_req, res) => res.sendFile(path.join(builtDir, 'favicon.svg')));
  router.get('/', (_req, res) => {
    if (!fs.existsSync(index)) return sendError(res, new ApiError(503, 'The console is not built: run npm run build'));
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
