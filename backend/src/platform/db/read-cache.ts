import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import type pg from 'pg';
import { postgresDriver } from './database';
import { CACHED_TABLES } from './migrations/0023_read_cache';

/** The PostgreSQL channel the change triggers notify (migration 0023_read_cache). */
export const CHANGES_CHANNEL = 'metabot_changes';

const MAX_ENTRIES = 10_000;
const RECONNECT_MS = 1_000;
/** How long to wait for the notice of this process's own commit before caching again anyway (a failed write sends none). */
const OWN_NOTICE_WAIT_MS = 10_000;
/** Any statement naming a cached table (our own constant names, never input). */
const WRITES_CACHED_TABLE = new RegExp(`\\b(${CACHED_TABLES.join('|')})\\b`, 'i');

interface Entry {
  value: unknown;
  expiresAt: number;
}

interface KnexQueryEvent {
  sql?: string;
  __knexTxId?: string;
}

/**
 * Rows that every request reads and that change rarely (a token, a bot, a bot's current map
 * version), kept in this process on PostgreSQL, where each read is a round trip. An entry is
 * dropped — the whole cache, as changes are rare — when:
 * - another process changes one of the cached tables: its statement-level trigger notifies
 *   `metabot_changes` after the commit, and this process LISTENs (typically milliseconds);
 * - this process writes one of them: seen on knex's query events; the cache is also bypassed while
 *   such a transaction is open and until its commit's own notice comes back (at least a second), so
 *   a read racing the commit is not kept and a caller that awaited its own write reads it back;
 * - it is older than its time to live (READ_CACHE_TTL_MS), which bounds staleness if the LISTEN connection died
 *   silently.
 * Until the LISTEN connection is up the cache is bypassed. Misses (no row) are never kept, so
 * unknown keys cannot fill it; at MAX_ENTRIES it starts over. Concurrent misses of one key share one
 * read: under load an expired entry is otherwise read again by every request that arrives before
 * the first read is back (a sixth of a call's statements at 50 connections).
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Reads in flight, by key, started since the last change seen (forget() drops them). */
  private readonly reading = new Map<string, Promise<unknown>>();
  private readonly writingTransactions = new Set<string>();
  private generation = 0;
  private bypassUntil = 0;
  /** Set when this process committed a change to a cached table whose notice has not come back yet. */
  private ownNoticeSince?: number;
  private client?: pg.Client;
  private listening = false;
  private reconnect?: NodeJS.Timeout;
  private closed = false;

  constructor(
    db: Knex,
    private readonly connection: string | pg.ClientConfig,
    /** How long an entry may be served without a fresh read: the bound on staleness if a notice is lost. */
    private readonly ttlMs: number,
  ) {
    db.on('query', (query: KnexQueryEvent) => this.observe(query, 'sent'));
    db.on('query-response', (_response: unknown, query: KnexQueryEvent) => this.observe(query, 'answered'));
  }

  /** The row `read` returns, served from the cache when it is fresh; it reads one of CACHED_TABLES. */
  async row<T>(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
    this.listen();
    if (!this.usable()) return read();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > performance.now()) return cached.value as T;
    const inFlight = this.reading.get(key) as Promise<T | undefined> | undefined;
    return inFlight ?? this.readAndStore(key, read);
  }

  private readAndStore<T>(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const generation = this.generation;
    const reading = read()
      .then((value) => {
        // A change seen while the read was in flight may not be in what it returned.
        if (value !== undefined && generation === this.generation && this.usable()) this.store(key, value);
        return value;
      })
      .finally(() => {
        if (this.reading.get(key) === reading) this.reading.delete(key);
      });
    this.reading.set(key, reading);
    return reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    this.forget();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private usable(): boolean {
    const now = performance.now();
    const awaitingOwnNotice = this.ownNoticeSince !== undefined && now - this.ownNoticeSince < OWN_NOTICE_WAIT_MS;
    return this.listening && this.writingTransactions.size === 0 && !awaitingOwnNotice && now >= this.bypassUntil;
  }

  private store(key: string, value: unknown): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, { value, expiresAt: performance.now() + this.ttlMs });
  }

  /** A read already in flight may predate the change: who asks from now on reads again. */
  private forget(): void {
    this.generation += 1;
    this.entries.clear();
    this.reading.clear();
  }

  /**
   * A statement of this process: a write to a cached table forgets, and holds the cache off until
   * the commit's own notice comes back on the LISTEN connection (a commit may take longer than any
   * fixed window on a loaded database) and for a second after it was sent.
   */
  private observe(query: KnexQueryEvent, phase: 'sent' | 'answered'): void {
    const sql = query.sql ?? '';
    const txId = query.__knexTxId;
    if (txId && /^(commit|rollback)\b/i.test(sql)) {
      if (!this.writingTransactions.delete(txId)) return;
      this.holdOff();
      if (/^commit/i.test(sql)) this.awaitOwnNotice();
      return;
    }
    if (!this.writesCachedTable(sql)) return;
    if (txId) this.writingTransactions.add(txId);
    else if (phase === 'sent') this.awaitOwnNotice();
    this.holdOff();
  }

  private awaitOwnNotice(): void {
    this.ownNoticeSince = performance.now();
  }

  private holdOff(): void {
    this.forget();
    this.bypassUntil = performance.now() + 1_000;
  }

  private writesCachedTable(sql: string): boolean {
    return !/^\s*select\b/i.test(sql) && WRITES_CACHED_TABLE.test(sql);
  }

  /** Opens the LISTEN connection once (lazily: a CLI command that reads nothing cached opens none). */
  private listen(): void {
    if (this.client || this.closed) return;
    const client = new (postgresDriver().Client)(typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection);
    this.client = client;
    const down = () => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = undefined;
      this.forget();
      void client.end().catch(() => undefined);
      if (!this.closed) this.reconnect = setTimeout(() => this.listen(), RECONNECT_MS).unref();
    };
    client.on('error', down);
    client.on('end', down);
    client.on('notification', () => {
      this.forget();
      this.ownNoticeSince = undefined;
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANGES_CHANNEL}`))
      .then(() => {
        if (this.client !== client) return;
        // What committed before now is what the next read sees; a notice sent before it cannot come.
        this.forget();
        this.ownNoticeSince = undefined;
        this.listening = true;
      })
      .catch(down);
  }
}
