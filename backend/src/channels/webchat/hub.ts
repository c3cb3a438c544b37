import type { Response } from 'express';
import type { InboundContext } from '../../inbound/hooks';
import type { AppContext } from '../../platform/context';
import { type ChatMessage, recentMessages } from './history';
import type { WebchatLimits } from './limits';

/**
 * The visitor connections (server-sent event streams) this process holds, and the push loop that
 * feeds them. Every message lands in `webchat_messages` first; the loop reads the rows of the last
 * few seconds for the connected visitors, so a message written by another process (PostgreSQL,
 * several backends) reaches a visitor connected here within one poll, and a row committed after a
 * row with a higher id is still pushed. A send in this process nudges the loop at once.
 */
const POLL_MS = 500;
const LOOKBACK_MS = 5_000;
const HEARTBEAT_MS = 20_000;

export interface Connection {
  botId: number;
  visitorId: string;
  res: Response;
  /** The last id the visitor had seen when it connected: older rows are not pushed again. */
  after: number;
  /** Ids already written to this stream, with their creation time (forgotten after the lookback). */
  sent: Map<number, number>;
}

export function pushMessage(connection: Connection, message: ChatMessage): void {
  if (message.id <= connection.after || connection.sent.has(message.id)) return;
  connection.sent.set(message.id, message.createdAt);
  connection.res.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
}

export class VisitorHub {
  private readonly byVisitor = new Map<string, Set<Connection>>();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private polling = false;
  private again = false;

  constructor(private readonly ctx: AppContext) {}

  add(connection: Connection): void {
    const set = this.byVisitor.get(connection.visitorId) ?? new Set();
    this.closeOldest(set, set.size + 1 - this.ctx.config.WEBCHAT_STREAMS_PER_VISITOR);
    set.add(connection);
    this.byVisitor.set(connection.visitorId, set);
    this.timer ??= setInterval(() => this.nudge(), POLL_MS).unref();
    this.heartbeat ??= setInterval(() => this.each((c) => c.res.write(': keep-alive\n\n')), HEARTBEAT_MS).unref();
  }

  remove(connection: Connection): void {
    const set = this.byVisitor.get(connection.visitorId);
    set?.delete(connection);
    if (set?.size === 0) this.byVisitor.delete(connection.visitorId);
    if (this.byVisitor.size > 0) return;
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = this.heartbeat = undefined;
  }

  /**
   * Ends the `count` oldest streams of a visitor over the cap: the newest is the page the visitor is
   * looking at, the oldest most likely a tab long gone or a phone's connection on a network it left.
   */
  private closeOldest(set: Set<Connection>, count: number): void {
    for (const oldest of [...set].slice(0, Math.max(0, count))) {
      set.delete(oldest);
      oldest.res.end();
    }
  }

  /** Polls now (coalesced: a poll in progress runs once more when it ends). */
  nudge(): void {
    if (this.byVisitor.size === 0) return;
    if (this.polling) return void (this.again = true);
    this.polling = true;
    this.poll()
      .catch((err) => this.ctx.logger.warn({ err }, 'web chat push poll failed; retried at the next tick'))
      .finally(() => {
        this.polling = false;
        if (this.again) setImmediate(() => this.nudge());
        this.again = false;
      });
  }

  private each(fn: (connection: Connection) => void): void {
    this.byVisitor.forEach((set) => set.forEach(fn));
  }

  private async poll(): Promise<void> {
    const since = this.ctx.clock.now() - LOOKBACK_MS;
    const visitorIds = [...this.byVisitor.keys()];
    for (let i = 0; i < visitorIds.length; i += 500) {
      for (const message of await recentMessages(this.ctx.db, visitorIds.slice(i, i + 500), since)) {
        this.byVisitor.get(message.visitorId)?.forEach((c) => c.botId === message.botId && pushMessage(c, message));
      }
    }
    this.each((c) => c.sent.forEach((createdAt, id) => createdAt < since - LOOKBACK_MS && c.sent.delete(id)));
  }
}

/** What the web chat needs beyond the inbound pipeline: this process's visitor connections and rate limits. */
export interface WebchatContext extends InboundContext {
  webchatHub: VisitorHub;
  webchatLimits: WebchatLimits;
}
