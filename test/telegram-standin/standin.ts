import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BotState, type Failure, type RecordedMessage, type StandinUser, type Update } from './bot-state';
import { type StandinLimits, telegramLimits } from './limits';
import { type BotRights, chatObject, type StandinGroup, type StandinTopic } from './forum';
import { downloadFile, readMultipart, userFile } from './media';
import { payInvoice, paymentsOf } from './payments';
import { TelegramError, messageObject, runMethod } from './methods';

export interface StandinOptions {
  port?: number;
  limits?: Partial<StandinLimits>;
  /** Every answer waits this long (slow Telegram). */
  latencyMs?: number;
}

/**
 * A Telegram Bot API stand-in: a real HTTP server that grammY (or anything else) talks to through
 * `apiRoot`. It keeps Telegram's envelope and errors, its flood limits, long polling and webhooks,
 * and lets a test play the users. Tokens look like Telegram's (`<bot id>:<secret>`); a bot is
 * created on first use or with `createBot`.
 */
export class TelegramStandin {
  limits: StandinLimits;
  latencyMs: number;
  private readonly bots = new Map<string, BotState>();
  private server?: http.Server;
  private stopped = false;
  private nextBotId = 7_000_000_001;
  private url_ = '';

  private constructor(options: StandinOptions) {
    this.limits = { ...telegramLimits, ...options.limits };
    this.latencyMs = options.latencyMs ?? 0;
  }

  static async start(options: StandinOptions = {}): Promise<TelegramStandin> {
    const standin = new TelegramStandin(options);
    await standin.listen(options.port ?? 0);
    return standin;
  }

  /** The `apiRoot` to give grammY. */
  get apiRoot(): string {
    return this.url_;
  }

  /** A new bot with its own token; `username` is what getMe answers. */
  createBot(options: { username?: string } = {}): StandinBot {
    const id = this.nextBotId++;
    const token = `${id}:AAStandin${crypto.randomBytes(20).toString('base64url').slice(0, 26)}`;
    return new StandinBot(this.register(token, id, options.username));
  }

  /** The bot behind a token (created on first use, like a token from BotFather). */
  bot(token: string): StandinBot {
    return new StandinBot(this.stateFor(token) ?? this.register(token));
  }

  setLimits(limits: Partial<StandinLimits>): void {
    this.limits = { ...this.limits, ...limits };
    for (const bot of this.bots.values()) bot.limiter.reset();
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const bot of this.bots.values()) bot.cancelPoll();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private register(token: string, id = Number(token.split(':')[0]), username?: string): BotState {
    const state = new BotState(id, token, username ?? `standin_${id}_bot`, () => this.limits);
    state.onUpdate = () => {
      if (state.webhook) void state.pushToWebhook(() => this.stopped);
    };
    this.bots.set(token, state);
    return state;
  }

  /** A file getFile named, as Telegram serves it: the bytes, or 404. */
  private serveFile(token: string, filePath: string, res: http.ServerResponse): void {
    const file = this.stateFor(token) && downloadFile(this.stateFor(token)!, filePath);
    if (!file?.bytes) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
    res.writeHead(200, { 'content-type': file.mimeType || 'application/octet-stream', 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private stateFor(token: string): BotState | undefined {
    return this.bots.get(token);
  }

  private async listen(port: number): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.url_ = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (download) return this.serveFile(download[1], decodeURIComponent(download[2]), res);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)(\?.*)?$/.exec(req.url ?? '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method, query] = match;
    const body = await readBody(req).catch(() => undefined);
    if (!body) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON in the request body' });
    const params = { ...Object.fromEntries(new URLSearchParams(query ?? '')), ...body };
    const tokenShape = /^\d+:[A-Za-z0-9_-]+$/.test(token);
    if (!tokenShape) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const bot = this.stateFor(token) ?? this.register(token);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const chatId = params.chat_id === undefined ? undefined : Number(params.chat_id);
    const log = (code: number, retryAfter?: number) => {
      if (/^send|^edit/.test(method)) bot.requests.push({ at: Date.now(), method, chatId, code, ...(retryAfter ? { retryAfter } : {}) });
    };
    const failure = bot.takeFailure(method, chatId);
    if (failure) {
      log(failure.status === 'reset' ? 0 : failure.status, failure.retryAfter);
      bot.rejected.injected += 1;
      if (failure.status === 'reset') return void req.socket.destroy();
      const description = failure.description ?? (failure.status >= 500 ? 'Internal Server Error' : 'Injected error');
      return reply(failure.status, {
        ok: false,
        error_code: failure.status,
        description,
        ...(failure.retryAfter ? { parameters: { retry_after: failure.retryAfter } } : {}),
      });
    }
    try {
      const result = await runMethod(method, params, { bot, kickWebhook: () => void bot.pushToWebhook(() => this.stopped) });
      log(200);
      reply(200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof TelegramError)) return reply(500, { ok: false, error_code: 500, description: `Internal Server Error: ${(error as Error).message}` });
      log(error.code, error.retryAfter);
      reply(error.code, {
        ok: false,
        error_code: error.code,
        description: error.description,
        ...(error.retryAfter ? { parameters: { retry_after: error.retryAfter } } : {}),
      });
    }
  }
}

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('multipart/form-data')) return readMultipart(Buffer.concat(chunks), type);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  if (type.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return {};
}

/** A test's handle on one bot: act as its users, read what it sent, make Telegram misbehave. */
export class StandinBot {
  constructor(private readonly state: BotState) {}

  get token(): string {
    return this.state.token;
  }

  get id(): number {
    return this.state.id;
  }

  get username(): string {
    return this.state.username;
  }

  /** Every message the bot sent, in the order Telegram accepted them. */
  get messages(): readonly RecordedMessage[] {
    return this.state.messages;
  }

  messagesTo(chatId: number): RecordedMessage[] {
    return this.state.messages.filter((m) => m.chatId === chatId);
  }

  /** Every send/edit request with its time and answer code, including refused ones. */
  get requests(): Readonly<BotState['requests']> {
    return this.state.requests;
  }

  get rejected(): Readonly<BotState['rejected']> {
    return this.state.rejected;
  }

  get webhook() {
    return this.state.webhook;
  }

  get commands(): unknown[] {
    return this.state.commands;
  }

  get chatActions() {
    return this.state.chatActions;
  }

  get pendingUpdates(): number {
    return this.state.pendingUpdates;
  }

  /** The answer the bot gave to a callback query (undefined while the button still spins). */
  callbackAnswer(callbackQueryId: string): { text?: string; at: number } | undefined {
    return this.state.callbackQueries.get(callbackQueryId)?.answered;
  }

  setUser(chatId: number, profile: Partial<Omit<StandinUser, 'id' | 'is_bot'>>): void {
    Object.assign(this.state.user(chatId), profile);
  }

  userSends(chatId: number, text: string): Update {
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0].length }] : undefined;
    return this.state.enqueue({ message: { ...this.incoming(chatId), text, ...(entities ? { entities } : {}) } });
  }

  /** `/start <payload>`, as a t.me/<bot>?start=<payload> deep link produces. */
  userStarts(chatId: number, payload?: string): Update {
    return this.userSends(chatId, payload ? `/start ${payload}` : '/start');
  }

  /** Taps the inline button with `data` on the latest message that has it (or on `messageId`). */
  tapButton(chatId: number, data: string, options: { messageId?: number } = {}): Update & { callbackQueryId: string } {
    const message = [...this.messagesTo(chatId)].reverse().find((m) =>
      (options.messageId === undefined || m.messageId === options.messageId) &&
      ((m.replyMarkup?.inline_keyboard as Array<Array<{ callback_data?: string }>> | undefined) ?? []).some((row) => row.some((b) => b.callback_data === data)),
    );
    if (!message) throw new Error(`chat ${chatId} has no message with a button "${data}"`);
    const callbackQueryId = `${this.state.id}${chatId}${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    this.state.callbackQueries.set(callbackQueryId, { chatId });
    const update = this.state.enqueue({
      callback_query: { id: callbackQueryId, from: this.state.user(chatId), message: messageObject(this.state, message), chat_instance: String(chatId), data },
    });
    return { ...update, callbackQueryId };
  }

  /** Shares a contact: the user's own (the contact button) or someone else's (forwarded). */
  shareContact(chatId: number, phone: string, options: { own?: boolean; firstName?: string } = {}): Update {
    const own = options.own ?? true;
    const user = this.state.user(chatId);
    const contact = {
      phone_number: phone,
      first_name: options.firstName ?? (own ? user.first_name : 'Someone'),
      ...(own ? { user_id: chatId } : {}),
    };
    return this.state.enqueue({ message: { ...this.incoming(chatId), contact } });
  }

  /** The user sends a file (photo, document, voice, video, audio): its file id reaches the bot, getFile serves the bytes. */
  userSendsFile(chatId: number, kind: 'photo' | 'document' | 'voice' | 'video' | 'audio', bytes: Buffer, options: { fileName?: string; mimeType?: string; caption?: string } = {}): Update & { fileId: string } {
    const file = userFile(this.state, kind, bytes, options.fileName, options.mimeType);
    const named = { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size, ...(options.fileName ? { file_name: options.fileName } : {}), ...(options.mimeType ? { mime_type: options.mimeType } : {}) };
    const body = kind === 'photo' ? { photo: [{ ...named, width: 640, height: 480 }] } : kind === 'voice' ? { voice: { ...named, duration: 3 } } : { [kind]: named };
    const update = this.state.enqueue({ message: { ...this.incoming(chatId), ...body, ...(options.caption ? { caption: options.caption } : {}) } });
    return { ...update, fileId: file.fileId };
  }

  userSendsLocation(chatId: number, latitude: number, longitude: number): Update {
    return this.state.enqueue({ message: { ...this.incoming(chatId), location: { latitude, longitude } } });
  }

  /** The person pays the latest invoice sent to them (payments.ts): pre-checkout, then the payment if the bot agreed in time. */
  payInvoice(chatId: number) {
    return payInvoice(this.state, chatId, (body) => this.state.enqueue(body), () => this.incoming(chatId));
  }

  /** Changes the pre-checkout deadline (10 s, Telegram's) to test a late answer quickly. */
  setPreCheckoutDeadline(ms: number): void {
    paymentsOf(this.state).deadlineMs = ms;
  }

  /** A Stars charge: who paid and whether it was refunded. */
  charge(chargeId: string) {
    return paymentsOf(this.state).charges.get(chargeId);
  }

  /** Files the bot holds (uploaded, by URL, or from users), by file id. */
  file(fileId: string) {
    return this.state.files.get(fileId);
  }

  /** The user blocks the bot: sends fail with 403 and Telegram sends a my_chat_member update. */
  blockBot(chatId: number): Update {
    this.state.blockedBy.add(chatId);
    return this.state.enqueue({ my_chat_member: this.memberChange(chatId, 'member', 'kicked') });
  }

  unblockBot(chatId: number): Update {
    this.state.blockedBy.delete(chatId);
    return this.state.enqueue({ my_chat_member: this.memberChange(chatId, 'kicked', 'member') });
  }

  /** Marks a chat as having blocked the bot without telling the bot (it learns on the next send). */
  markBlocked(chatId: number): void {
    this.state.blockedBy.add(chatId);
  }

  /**
   * A supergroup the bot is in (by default a forum where it is an administrator that can manage
   * topics), with `members` as its users. Answers the chat id (negative, like Telegram's -100…).
   */
  createGroup(options: { title?: string; isForum?: boolean; rights?: BotRights; members?: number[] } = {}): number {
    const id = -1_000_000_000_000 - this.state.groups.size - 1;
    const group: StandinGroup = {
      id,
      title: options.title ?? `Staff ${-id}`,
      type: 'supergroup',
      isForum: options.isForum ?? true,
      rights: options.rights ?? { status: 'administrator', canManageTopics: true },
      members: new Set(options.members ?? []),
      topics: new Map(),
    };
    this.state.groups.set(id, group);
    return id;
  }

  setBotRights(chatId: number, rights: BotRights): void {
    this.group(chatId).rights = rights;
  }

  /** The group's topics in the order they were created. */
  topics(chatId: number): StandinTopic[] {
    return [...this.group(chatId).topics.values()];
  }

  /** An administrator closes the topic by hand (the bot is not told). */
  closeTopicByHand(chatId: number, threadId: number): void {
    const topic = this.group(chatId).topics.get(threadId);
    if (!topic) throw new Error(`group ${chatId} has no topic ${threadId}`);
    topic.closed = true;
  }

  /** An administrator deletes the topic and its messages (the bot is not told). */
  deleteTopicByHand(chatId: number, threadId: number): void {
    if (!this.group(chatId).topics.delete(threadId)) throw new Error(`group ${chatId} has no topic ${threadId}`);
  }

  /** A user writes in a group: in a topic (`threadId`) or in General (undefined). */
  userWritesInGroup(chatId: number, userId: number, text: string, threadId?: number): Update {
    const group = this.group(chatId);
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0].length }] : undefined;
    const message = {
      message_id: this.state.newMessageId(chatId),
      from: this.state.user(userId),
      chat: chatObject(group),
      date: Math.floor(Date.now() / 1000),
      ...(threadId !== undefined ? { message_thread_id: threadId, is_topic_message: true } : {}),
      text,
      ...(entities ? { entities } : {}),
    };
    return this.state.enqueue({ message });
  }

  private group(chatId: number): StandinGroup {
    const group = this.state.groups.get(chatId);
    if (!group) throw new Error(`the stand-in has no group ${chatId}`);
    return group;
  }

  /** Runs `listener` as each message is accepted, before the answer is sent; undefined stops it. */
  onMessage(listener: ((message: RecordedMessage) => void) | undefined): void {
    this.state.onMessage = listener;
  }

  /** The next `count` matching requests fail; without a filter, any method and chat. */
  failNext(count: number, failure: Failure): void {
    this.state.failures.push({ ...failure, remaining: count });
  }

  /** Every matching request fails for the next `ms` milliseconds (an outage). */
  failFor(ms: number, failure: Failure): void {
    this.state.failures.push({ ...failure, remaining: Infinity, until: Date.now() + ms });
  }

  /** Resolves once `predicate` holds over the messages, or rejects after `timeoutMs`. */
  async waitFor(predicate: (messages: readonly RecordedMessage[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.state.messages)) {
      if (Date.now() > deadline) throw new Error(`stand-in: condition not met within ${timeoutMs} ms (${this.state.messages.length} messages recorded)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves once the bot answered the callback query. */
  async waitForCallbackAnswer(callbackQueryId: string, timeoutMs = 10_000): Promise<{ text?: string; at: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.callbackAnswer(callbackQueryId);
      if (answer) return answer;
      if (Date.now() > deadline) throw new Error(`stand-in: callback query ${callbackQueryId} not answered within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private incoming(chatId: number) {
    const user = this.state.user(chatId);
    const chat = chatId > 0
      ? { id: chatId, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) }
      : { id: chatId, type: 'group', title: `Group ${chatId}` };
    return { message_id: this.state.newMessageId(chatId), from: user, chat, date: Math.floor(Date.now() / 1000) };
  }

  private memberChange(chatId: number, from: string, to: string) {
    const user = this.state.user(chatId);
    const me = { id: this.state.id, is_bot: true, first_name: this.state.username, username: this.state.username };
    return {
      chat: { id: chatId, type: 'private', first_name: user.first_name },
      from: user,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { user: me, status: from },
      new_chat_member: { user: me, status: to, ...(to === 'kicked' ? { until_date: 0 } : {}) },
    };
  }
}
