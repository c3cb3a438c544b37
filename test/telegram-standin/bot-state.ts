import type { StandinGroup } from './forum';
import { BotLimiter, type StandinLimits } from './limits';

/** A Telegram user as the stand-in plays it. */
export interface StandinUser {
  id: number;
  is_bot: false;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
}

/** One message the bot sent, as recorded by the stand-in. `at` is the epoch ms it was accepted. */
export interface RecordedMessage {
  botId: number;
  chatId: number;
  messageId: number;
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument' | 'sendVideo' | 'sendAudio' | 'sendVoice' | 'sendAnimation' | 'sendLocation' | 'sendMediaGroup' | 'sendInvoice';
  text?: string;
  caption?: string;
  photo?: string;
  parseMode?: string;
  replyMarkup?: Record<string, unknown>;
  paidBroadcast: boolean;
  at: number;
  /** The file a media message carries (media.ts). */
  file?: SentFile;
  location?: { latitude: number; longitude: number };
  mediaGroupId?: string;
  /** The forum topic it was sent to (forum.ts). */
  messageThreadId?: number;
  /** An invoice (payments.ts). */
  invoice?: Record<string, unknown>;
  deleted?: boolean;
  edits: Array<{ at: number; text?: string; replyMarkup?: Record<string, unknown> }>;
}

/** A file the stand-in holds for a bot: uploaded, fetched by URL (not really: the URL is kept), or sent by a user. */
export interface StandinFile {
  fileId: string;
  fileUniqueId: string;
  kind: string;
  size: number;
  fileName?: string;
  mimeType?: string;
  bytes?: Buffer;
  url?: string;
  filePath: string;
}

/** How a message's file reached the stand-in: `upload` (multipart bytes), `url`, or `file_id` reuse. */
export interface SentFile {
  kind: string;
  fileId: string;
  via: 'upload' | 'url' | 'file_id';
}

export interface Failure {
  /** An HTTP status (Telegram answers with the same error_code) or 'reset' to drop the connection. */
  status: number | 'reset';
  description?: string;
  chatId?: number;
  method?: string;
  retryAfter?: number;
}

export interface WebhookConfig {
  url: string;
  secretToken?: string;
  allowedUpdates?: string[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

export type Update = { update_id: number } & Record<string, unknown>;

interface Poller {
  offset: number;
  limit: number;
  resolve(updates: Update[] | 'conflict'): void;
  timer: NodeJS.Timeout;
}

/** Everything the stand-in keeps for one bot token. */
export class BotState {
  readonly limiter: BotLimiter;
  readonly messages: RecordedMessage[] = [];
  readonly blockedBy = new Set<number>();
  readonly users = new Map<number, StandinUser>();
  readonly failures: Array<Failure & { remaining: number; until?: number }> = [];
  readonly callbackQueries = new Map<string, { chatId: number; answered?: { text?: string; showAlert?: boolean; at: number } }>();
  readonly chatActions: Array<{ chatId: number; action: string; at: number }> = [];
  /** Files by file_id: what the bot may send again by id, and what getFile serves. */
  readonly files = new Map<string, StandinFile>();
  nextFileNumber = 1;
  commands: unknown[] = [];
  /** Groups a test made (forum.ts): supergroups with topics, their members and the bot's rights. */
  readonly groups = new Map<number, StandinGroup>();
  webhook?: WebhookConfig;
  /** Rejections by kind, for assertions ("the backend hit 429 n times"). */
  readonly rejected = { rateLimited: 0, blocked: 0, injected: 0 };
  /** Every send-type request with its time and answer code (200 or the error), in arrival order. */
  readonly requests: Array<{ at: number; method: string; chatId?: number; code: number; retryAfter?: number }> = [];
  private updates: Update[] = [];
  private nextUpdateId = 1;
  private readonly nextMessageId = new Map<number, number>();
  private poller?: Poller;
  private webhookBusy = false;
  onUpdate?: () => void;
  /** Called as a message is accepted, before the answer leaves (a drill can crash the sender right there). */
  onMessage?: (record: RecordedMessage) => void;

  constructor(
    readonly id: number,
    readonly token: string,
    readonly username: string,
    limits: () => StandinLimits,
  ) {
    this.limiter = new BotLimiter(limits);
  }

  user(chatId: number): StandinUser {
    let user = this.users.get(chatId);
    if (!user) {
      user = { id: chatId, is_bot: false, first_name: `User${chatId}`, language_code: 'ru' };
      this.users.set(chatId, user);
    }
    return user;
  }

  newMessageId(chatId: number): number {
    const id = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, id);
    return id;
  }

  takeFailure(method: string, chatId: number | undefined): Failure | undefined {
    const now = Date.now();
    for (let i = this.failures.length - 1; i >= 0; i--) if ((this.failures[i].until ?? Infinity) <= now) this.failures.splice(i, 1);
    const index = this.failures.findIndex(
      (f) => (f.method === undefined || f.method === method) && (f.chatId === undefined || f.chatId === chatId),
    );
    if (index < 0) return undefined;
    const failure = this.failures[index];
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures.splice(index, 1);
    return failure;
  }

  enqueue(body: Record<string, unknown>): Update {
    const update = { update_id: this.nextUpdateId++, ...body };
    this.updates.push(update);
    this.servePoller();
    this.onUpdate?.();
    return update;
  }

  get pendingUpdates(): number {
    return this.updates.length;
  }

  dropPending(): void {
    this.updates = [];
  }

  /** getUpdates: confirms everything below `offset`, answers at once or waits up to `timeoutMs`. */
  poll(offset: number, limit: number, timeoutMs: number): Promise<Update[] | 'conflict'> {
    this.confirm(offset);
    if (this.poller) {
      clearTimeout(this.poller.timer);
      this.poller.resolve('conflict');
      this.poller = undefined;
    }
    const ready = this.updates.slice(0, limit);
    if (ready.length > 0 || timeoutMs <= 0) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const poller: Poller = {
        offset,
        limit,
        resolve,
        timer: setTimeout(() => {
          if (this.poller === poller) this.poller = undefined;
          resolve([]);
        }, timeoutMs),
      };
      this.poller = poller;
    });
  }

  cancelPoll(): void {
    if (!this.poller) return;
    clearTimeout(this.poller.timer);
    this.poller.resolve([]);
    this.poller = undefined;
  }

  /** Webhook delivery: one update at a time, in order, retried until the receiver answers 2xx. */
  async pushToWebhook(stopped: () => boolean): Promise<void> {
    if (this.webhookBusy) return;
    this.webhookBusy = true;
    try {
      let delayMs = 50;
      while (this.webhook && this.updates.length > 0 && !stopped()) {
        const webhook = this.webhook;
        const update = this.updates[0];
        const ok = await this.postUpdate(webhook, update);
        if (ok) {
          if (this.updates[0] === update) this.updates.shift();
          delayMs = 50;
        } else {
          await new Promise((r) => setTimeout(r, delayMs));
          delayMs = Math.min(delayMs * 2, 1000);
        }
      }
    } finally {
      this.webhookBusy = false;
    }
  }

  private async postUpdate(webhook: WebhookConfig, update: Update): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = webhook.secretToken;
    try {
      const response = await fetch(webhook.url, { method: 'POST', headers, body: JSON.stringify(update) });
      await response.arrayBuffer();
      if (response.ok) return true;
      webhook.lastErrorMessage = `Wrong response from the webhook: ${response.status} ${response.statusText}`;
    } catch (error) {
      webhook.lastErrorMessage = `Connection failed: ${(error as Error).message}`;
    }
    webhook.lastErrorDate = Math.floor(Date.now() / 1000);
    return false;
  }

  private confirm(offset: number): void {
    if (offset > 0) this.updates = this.updates.filter((u) => u.update_id >= offset);
  }

  private servePoller(): void {
    const poller = this.poller;
    if (!poller) return;
    const ready = this.updates.filter((u) => u.update_id >= poller.offset).slice(0, poller.limit);
    if (ready.length === 0) return;
    clearTimeout(poller.timer);
    this.poller = undefined;
    poller.resolve(ready);
  }
}
