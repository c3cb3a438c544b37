import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler, type Router } from 'express';
import { unauthorized } from '../http/errors';
import { metricsRegistry } from './metrics';

const scrape: RequestHandler = async (_req, res) => {
  res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
};

/** Hashed first so the comparison takes the same time whatever the lengths. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => crypto.createHash('sha256').update(value).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/**
 * `/metrics` on the main port, for a scraper holding `METRICS_TOKEN`: the figures (request rates,
 * delivery counts, process data) tell an outsider how busy each bot is.
 */
export function metricsRouter(token: string): Router {
  const router = express.Router();
  router.get('/metrics', (req, _res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match || !sameSecret(match[1], token)) throw unauthorized('Missing or invalid metrics token');
    next();
  }, scrape);
  return router;
}

/** `/metrics` alone, without a token, on the loopback interface: only this machine can reach it. */
export async function startMetricsListener(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', scrape);
  app.use((_req, res) => void res.status(404).end());
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
