import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

export type WebhookHandler = (req: express.Request & { rawBody: Buffer }, res: express.Response) => Promise<unknown>;

/**
 * A real HTTP endpoint that reads the body the way n8n's webhook server does (raw bytes kept in
 * req.rawBody, JSON parsed into req.body) and hands the request to a node's webhook method.
 */
export async function startWebhookServer(handler: WebhookHandler): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.raw({ type: () => true, limit: '16mb' }));
  app.use((req, _res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    Object.assign(req, { rawBody: raw, body: raw.length && /json/.test(req.headers['content-type'] ?? '') ? JSON.parse(raw.toString('utf8')) : {} });
    next();
  });
  app.all('/{*path}', async (req, res) => {
    try {
      await handler(req as express.Request & { rawBody: Buffer }, res);
    } catch (error) {
      if (!res.headersSent) res.status(500).json({ message: (error as Error).message });
    }
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
