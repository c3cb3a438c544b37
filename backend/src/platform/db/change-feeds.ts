import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { postgresDriver } from './database';
import type { ChangeFeed, ChangeFeedFactory } from './read-cache';

/** The PostgreSQL channel the change triggers notify (migration 0023_read_cache). */
export const CHANGES_CHANNEL = 'metabot_changes';

const RECONNECT_MS = 1_000;

/**
 * PostgreSQL: every process LISTENs on CHANGES_CHANNEL, which the cached tables' statement triggers
 * notify after each commit (this process's own included). Opened on first use, so a CLI command that
 * reads nothing cached opens no connection; until it listens, and while it is down, nothing is watched.
 */
export function listenFeed(connection: string | pg.ClientConfig): ChangeFeedFactory {
  return (changed) => new ListenFeed(connection, changed);
}

class ListenFeed implements ChangeFeed {
  readonly reportsOwnCommits = true;
  private client?: pg.Client;
  private listening = false;
  private reconnect?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly connection: string | pg.ClientConfig,
    private readonly changed: () => void,
  ) {}

  watching(): boolean {
    this.listen();
    return this.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private listen(): void {
    if (this.client || this.closed) return;
    const client = new (postgresDriver().Client)(typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection);
    this.client = client;
    const down = () => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = undefined;
      this.changed();
      void client.end().catch(() => undefined);
      if (!this.closed) this.reconnect = setTimeout(() => this.listen(), RECONNECT_MS).unref();
    };
    client.on('error', down);
    client.on('end', down);
    client.on('notification', () => this.changed());
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANGES_CHANNEL}`))
      .then(() => {
        if (this.client !== client) return;
        // What committed before now is what the next read sees; a notice sent before it cannot come.
        this.changed();
        this.listening = true;
      })
      .catch(down);
  }
}

/** How often a SQLite process looks at the version counter: the staleness of another process's change. */
export const VERSION_CHECK_MS = 10;

/**
 * SQLite: every change to a cached table bumps one version counter in the same transaction
 * (migration 0035_read_cache_version's triggers), and the process reads it (a few microseconds, on
 * the read-only connection) at most every VERSION_CHECK_MS, when the cache is asked. A change that
 * other process committed is seen within that window. This process's own commits are seen at once
 * (SQLite has one writer, so a commit is visible when it returns), and need no report.
 */
export function versionFeed(readVersion: () => number): ChangeFeedFactory {
  return (changed) => new VersionFeed(readVersion, changed);
}

class VersionFeed implements ChangeFeed {
  readonly reportsOwnCommits = false;
  private version?: number;
  private checkedAt = -Infinity;

  constructor(
    private readonly readVersion: () => number,
    private readonly changed: () => void,
  ) {}

  watching(): boolean {
    const now = performance.now();
    if (now - this.checkedAt < VERSION_CHECK_MS) return true;
    this.checkedAt = now;
    const version = this.readVersion();
    if (version !== this.version) {
      this.version = version;
      this.changed();
    }
    return true;
  }

  async close(): Promise<void> {}
}
