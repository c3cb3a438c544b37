import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from './app';
import { loadConfig } from './platform/config/config';
import { closeAppContext, createAppContext } from './platform/context';
import { createLogger } from './platform/logging/logger';
import { apiDocumentOf, type OpenApiDocument } from './platform/openapi/document';
import { createRuntime } from './runtime';

/** The server URL of a document built offline: the default address, so the output is stable. */
const OFFLINE_SERVER_URL = 'http://127.0.0.1:3000';

/**
 * The document `GET /openapi.json` serves, built without a server for the API linter and the nodes'
 * type generator. Routers register their paths as they are built, so the app is built (never
 * listened on) over a throwaway SQLite directory that no query ever touches.
 */
export async function buildApiDocument(): Promise<OpenApiDocument> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-openapi-'));
  const config = loadConfig({ DATA_DIR: dataDir, WORKERS_ENABLED: 'false', LOG_LEVEL: 'silent' });
  const ctx = createRuntime(createAppContext(config, { logger: createLogger('silent') }));
  try {
    createApp(ctx);
    return apiDocumentOf(ctx.docs)(OFFLINE_SERVER_URL);
  } finally {
    await closeAppContext(ctx);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void buildApiDocument().then((document) => process.stdout.write(`${JSON.stringify(document, null, 2)}\n`));
}
