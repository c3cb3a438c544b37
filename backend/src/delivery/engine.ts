import type { ChannelsContext } from '../channels/registry';
import type { AppContext } from '../platform/context';
import { GroupCommit } from '../platform/db/group-commit';
import type { Pending } from './outcomes';
import { StartWindow } from './pacing';
import { type LoadedMessage, loadMessages } from './statements/load-messages';
import { markSendsStarted } from './statements/mark-sends-started';
import { writeOutcomes } from './statements/write-outcomes';

/**
 * Outcomes are written in group commits. Under load (a bot sending faster than GATHER_ABOVE_RATE/s)
 * outcomes gather for up to GATHER_MS (or until a batch is full) and commit together: one
 * transaction, one events-loop wake-up and three statements per batch instead of per message. At
 * Telegram's normal rates each outcome commits at the end of its turn of the event loop, keeping
 * the window between Telegram's acceptance and our record as short as the commit itself.
 */
const GATHER_MS = 5;
const GATHER_ABOVE_RATE = 200;
const WRITE_BATCH = 500; // × 15 columns stays under SQLite's bound-variable limit in one upsert
const CACHED_MESSAGES = 1000;

/** How long an outcome of a bot sending `rate` messages a second waits for others to commit with. */
export const gatherMsAt = (rate: number) => (rate > GATHER_ABOVE_RATE ? GATHER_MS : 0);

/**
 * The delivery engine's state in this process: its group-committed writers (outcomes, and the
 * start marks committed before each send), the messages it has loaded and the per-bot start
 * windows. One per runtime.
 */
export class DeliveryEngine {
  readonly outcomes: GroupCommit<Pending>;
  readonly starts: GroupCommit<number, boolean>;
  private readonly messages = new Map<string, LoadedMessage>();
  private readonly startWindows = new Map<number, StartWindow>();

  constructor(private readonly ctx: AppContext) {
    this.outcomes = new GroupCommit((items) => ctx.db.transaction((trx) => writeOutcomes(trx, ctx, items)), WRITE_BATCH);
    this.starts = new GroupCommit((ids) => markSendsStarted(ctx.db, ids, ctx.clock.now()), WRITE_BATCH);
  }

  startWindow(botId: number): StartWindow {
    let window = this.startWindows.get(botId);
    if (!window) this.startWindows.set(botId, (window = new StartWindow()));
    return window;
  }

  /** The messages by id, from the cache or loaded (a message's content never changes once queued). */
  async messagesFor(ids: string[]): Promise<Map<string, LoadedMessage>> {
    const missing = ids.filter((id) => !this.messages.has(id));
    if (missing.length > 0) {
      for (const [id, message] of await loadMessages(this.ctx.db, missing)) this.remember(id, message);
    }
    return new Map(ids.map((id) => [id, this.messages.get(id)!]));
  }

  private remember(id: string, message: LoadedMessage): void {
    if (this.messages.size >= CACHED_MESSAGES) this.messages.delete(this.messages.keys().next().value!);
    this.messages.set(id, message);
  }
}

/** What the delivery loop needs: the channels to send through and this process's engine. */
export interface DeliveryContext extends AppContext, ChannelsContext {
  delivery: DeliveryEngine;
}
