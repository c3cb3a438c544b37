import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import knex from 'knex';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/platform/config/config';
import type { Clock } from '../../src/platform/clock';
import { createBot } from '../../src/bots/bots';
import type { Scope } from '../../src/bots/scopes';
import { createToken } from '../../src/bots/tokens';
import { importMap } from '../../src/maps/maps';
import { type RunningServer, startServer } from '../../src/server';

/**
 * Set TEST_DATABASE_URL=postgres://…/postgres to run the suite on PostgreSQL: each backend gets a
 * fresh database that is dropped when it closes. Unset, each backend gets its own SQLite file.
 */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL;
export const dialect = testDatabaseUrl ? 'postgresql' : 'sqlite';

export interface TestBackend extends RunningServer {
  /** fetch() against the backend with JSON in and out. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** A bot with a map (optional) and a token with every scope (or the ones given). */
  createBot(options?: { name?: string; map?: unknown; aliases?: string[]; scopes?: Scope[] }): Promise<{ botId: number; token: string }>;
  dataDir: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
}

export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 10, 21, 12, 0, 0)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** A fresh PostgreSQL database on the server of `adminUrl`, dropped (forcibly) by `drop()`. */
export async function createPostgresDatabase(adminUrl = testDatabaseUrl!): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `metabot_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: adminUrl });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = knex({ client: 'pg', connection: adminUrl });
      await cleanup.raw(`drop database if exists ${name} with (force)`);
      await cleanup.destroy();
    },
  };
}

/** fetch() against a backend at `baseUrl` with JSON in and out (also for backends in child processes). */
export function jsonRequest(baseUrl: string): TestBackend['request'] {
  return async (method, urlPath, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${urlPath}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
}

export async function startTestBackend(options: { env?: Record<string, string>; clock?: Clock; logDestination?: DestinationStream } = {}): Promise<TestBackend> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-test-'));
  const pg = testDatabaseUrl ? await createPostgresDatabase() : undefined;
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    // The n8n stand-ins listen on 127.0.0.1; the SSRF tests turn this off.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...options.env,
  });
  const server = await startServer({ config, clock: options.clock, logDestination: options.logDestination });

  const request = jsonRequest(server.url);

  return {
    ...server,
    dataDir,
    request,
    async createBot({ name = 'Test bot', map, aliases, scopes } = {}) {
      const bot = await createBot(server.ctx, { name });
      if (map) await importMap(server.ctx, bot.id, map, { author: 'test' });
      const { token } = await createToken(server.ctx, { botId: bot.id, aliases, scopes });
      return { botId: bot.id, token };
    },
    async close() {
      await server.close();
      await pg?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
