import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { isPostgres } from './database';
import { CACHED_TABLES } from './migrations/0023_read_cache';

const MAX_ENTRIES = 10_000;
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

/** How a ReadCache learns of the changes other processes commit to the cached tables (change-feeds.ts). */
export interface ChangeFeed {
  /** Whether such changes are being reported right now (the cache reads through while not); may report one first. */
  watching(): boolean;
  /** Whether this process's own commits come back as reports too: the cache then waits for its own before caching again. */
  readonly reportsOwnCommits: boolean;
  close(): Promise<void>;
}

/** Builds a feed that calls `changed` for every change it sees. */
export type ChangeFeedFactory = (changed: () => void) => ChangeFeed;

/**
 * Rows that every request reads and that change rarely (a token, a bot, a bot's current map
 * version), kept in this process: on PostgreSQL each such read is a round trip, on SQLite a read
 * transaction of its own on a file another connection keeps changing. An entry is dropped — the
 * whole cache, as changes are rare — when:
 * - another process changes one of the cached tables: its feed reports it (PostgreSQL: a notice
 *   after the commit, typically milliseconds; SQLite: a version counter the commit bumped, read at
 *   most every few milliseconds);
 * - this process writes one of them: seen on knex's query events; the cache is also bypassed while
 *   such a transaction is open and for a second after it ends, and — where the feed reports this
 *   process's commits too — until its own report came back, so a read racing the commit is not kept
 *   and a caller that awaited its own write reads it back;
 * - it is older than its time to live (READ_CACHE_TTL_MS), which bounds staleness if the feed
 *   failed silently.
 * Until the feed watches the cache is bypassed. Misses (no row) are never kept, so unknown keys
 * cannot fill it; at MAX_ENTRIES it starts over. Concurrent misses of one key share one read: under
 * load an expired entry is otherwise read again by every request that arrives before the first read
 * is back (a sixth of a call's statements at 50 connections).
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Reads in flight, by key, started since the last change seen (forget() drops them). */
  private readonly reading = new Map<string, Promise<unknown>>();
  private readonly writingTransactions = new Set<string>();
  private readonly feed: ChangeFeed;
  private readonly oneConnection: boolean;
  private generation = 0;
  private bypassUntil = 0;
  /** Set when this process committed a change to a cached table whose report has not come back yet. */
  private ownNoticeSince?: number;

  constructor(
    db: Knex,
    feed: ChangeFeedFactory,
    /** How long an entry may be served without a fresh read: the bound on staleness if the feed failed. */
    private readonly ttlMs: number,
  ) {
    this.oneConnection = !isPostgres(db);
    this.feed = feed(() => {
      this.forget();
      this.ownNoticeSince = undefined;
    });
    db.on('query', (query: KnexQueryEvent) => this.observe(query, 'sent'));
    db.on('query-response', (_response: unknown, query: KnexQueryEvent) => this.observe(query, 'answered'));
  }

  /** The row `read` returns, served from the cache when it is fresh; it reads one of CACHED_TABLES. */
  async row<T>(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
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
        // A change seen while the read was in flight may not be in what it returned (usable() may
        // be the one to see it, so it is asked first).
        if (value !== undefined && this.usable() && generation === this.generation) this.store(key, value);
        return value;
      })
      .finally(() => {
        if (this.reading.get(key) === reading) this.reading.delete(key);
      });
    this.reading.set(key, reading);
    return reading;
  }

  async close(): Promise<void> {
    this.forget();
    await this.feed.close();
  }

  private usable(): boolean {
    if (!this.feed.watching()) return false;
    const now = performance.now();
    const awaitingOwnNotice = this.ownNoticeSince !== undefined && now - this.ownNoticeSince < OWN_NOTICE_WAIT_MS;
    return this.writingTransactions.size === 0 && !awaitingOwnNotice && now >= this.bypassUntil;
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
   * A statement of this process: a write to a cached table forgets, and holds the cache off for a
   * second and, where the feed reports own commits, until the commit's own report comes back (a
   * commit may take longer than any fixed window on a loaded database).
   */
  private observe(query: KnexQueryEvent, phase: 'sent' | 'answered'): void {
    const sql = query.sql ?? '';
    const txId = query.__knexTxId;
    if (/^(release|rollback to) savepoint\b/i.test(sql)) {
      // A nested transaction ends; its writes are its parent's now, whose commit the feed reports.
      if (txId) this.writingTransactions.delete(txId);
      return;
    }
    if (/^(commit|rollback)\b/i.test(sql)) {
      if (!this.endTransaction(txId)) return;
      this.holdOff();
      if (/^commit/i.test(sql)) this.awaitOwnNotice();
      return;
    }
    if (!this.writesCachedTable(sql)) return;
    if (txId) this.writingTransactions.add(txId);
    else if (phase === 'sent') this.awaitOwnNotice();
    this.holdOff();
  }

  /**
   * Whether the transaction that ends had written a cached table. knex reports the commit of a
   * transaction that opened a savepoint without its id: then every one open is taken to end (the
   * feed still reports the commits). SQLite has one connection, so one transaction: whatever was
   * open ends with it.
   */
  private endTransaction(txId: string | undefined): boolean {
    if (txId && !this.oneConnection) return this.writingTransactions.delete(txId);
    const wrote = this.writingTransactions.size > 0;
    this.writingTransactions.clear();
    return wrote;
  }

  private awaitOwnNotice(): void {
    if (this.feed.reportsOwnCommits) this.ownNoticeSince = performance.now();
  }

  private holdOff(): void {
    this.forget();
    this.bypassUntil = performance.now() + 1_000;
  }

  private writesCachedTable(sql: string): boolean {
    return !/^\s*select\b/i.test(sql) && WRITES_CACHED_TABLE.test(sql);
  }
}
