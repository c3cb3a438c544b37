import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlidingWindow } from '../telegram-standin/limits';
import { checkKeyboard, checkText, errors, VkError } from './rules';

/**
 * A VK API stand-in for community bots: a real HTTP server the backend reaches through VK_API_ROOT
 * (`POST /method/<name>`, form-encoded). The rules it enforces, and where VK documents them:
 * - every call needs `v` (error 8) and the community's `access_token` (error 5)
 *   — dev.vk.com/ru/api/api-requests;
 * - a community token makes at most 20 calls a second; more answer error 6 "Too many requests per
 *   second" (dev.vk.com/ru/api/api-requests, "Ограничения и рекомендации": 20 requests per second
 *   with a community key; vk-io's documentation gives the same figure for group tokens);
 * - messages.send needs `random_id`, and a second send with a random_id this community already
 *   used is not delivered: VK answers the first message's ids (dev.vk.com/ru/method/messages.send:
 *   "unique, bound to the API_ID and the sender, checked against the whole message history");
 *   with `peer_ids` the answer is one `{peer_id, message_id, conversation_message_id, error?}` per peer;
 * - a person who has not written to the community, forbade its messages (message_deny) and has
 *   not allowed them again gets error 901 "Can't send messages for users without permission";
 * - keyboards and texts within VK's limits (rules.ts: 911, 914);
 * - messages.sendMessageEventAnswer answers a `message_event` once, for its user and peer (100 otherwise);
 * - photos: photos.getMessagesUploadServer → multipart `photo` POSTed to its upload_url →
 *   photos.saveMessagesPhoto → `photo<owner>_<id>` usable as an attachment
 *   (dev.vk.com/ru/api/upload/photo-in-message);
 * - Bots Long Poll: groups.getLongPollServer, `<server>?act=a_check&key&ts&wait`, `failed` 1/2/3
 *   (dev.vk.com/ru/api/bots-long-poll/getting-started);
 * - the Callback API: a `confirmation` request answered with the confirmation string, the secret
 *   key in every event, `ok` expected, an event not answered `ok` sent again with the same
 *   event_id (dev.vk.com/ru/api/callback/getting-started).
 * users.get answers `Name<id> Standin` for anyone. People write (with a vk.me `ref`), tap callback
 * and text buttons, and allow or deny messages.
 */

export interface VkLimits {
  enabled: boolean;
  perTokenPerSecond: number;
}

export interface SentMessage {
  peerId: number;
  text: string;
  keyboard?: Record<string, any>;
  attachment?: string;
  randomId: number;
  messageId: number;
  conversationMessageId: number;
  at: number;
}

export interface ApiRequest {
  method: string;
  code: number | 'ok';
  at: number;
  randomId?: number;
}

export interface CallbackDelivery {
  status: number;
  body: string;
  attempts: number;
}

type Params = Record<string, string>;

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A 1×1 PNG, served at /files/<name>.png for photo sends. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

export class VkStandin {
  limits: VkLimits;
  readonly communities = new Map<number, StandinCommunity>();
  private server?: http.Server;
  private url = '';
  private closed = false;
  private nextGroupId = 200_000_001;

  private constructor(limits: Partial<VkLimits>) {
    this.limits = { enabled: true, perTokenPerSecond: 20, ...limits };
  }

  static async start(options: { limits?: Partial<VkLimits> } = {}): Promise<VkStandin> {
    const standin = new VkStandin(options.limits ?? {});
    standin.server = http.createServer((req, res) => void standin.handle(req, res));
    await new Promise<void>((resolve) => standin.server!.listen(0, '127.0.0.1', () => resolve()));
    standin.url = `http://127.0.0.1:${(standin.server.address() as AddressInfo).port}`;
    return standin;
  }

  /** The VK_API_ROOT to give the backend. */
  get apiRoot(): string {
    return `${this.url}/method`;
  }

  /** An image URL the stand-in serves (for imageUrl). */
  imageUrl(name = 'cat'): string {
    return `${this.url}/files/${name}.png`;
  }

  get origin(): string {
    return this.url;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  createCommunity(screenName?: string): StandinCommunity {
    const groupId = this.nextGroupId++;
    const community = new StandinCommunity(this, groupId, screenName ?? `club${groupId}`);
    this.communities.set(groupId, community);
    return community;
  }

  setLimits(limits: Partial<VkLimits>): void {
    this.limits = { ...this.limits, ...limits };
    for (const community of this.communities.values()) community.window = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const community of this.communities.values()) community.releasePolls();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private byToken(token: string | undefined): StandinCommunity | undefined {
    return [...this.communities.values()].find((c) => c.accessToken === token);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    if (url.pathname.startsWith('/files/')) return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    const upload = /^\/upload\/(\d+)$/.exec(url.pathname);
    if (upload) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.communities.get(Number(upload[1]))?.receiveUpload(req.headers['content-type'] ?? '', body) ?? { error: 'no such server' }));
    const poll = /^\/lp\/(\d+)$/.exec(url.pathname);
    const polled = poll ? this.communities.get(Number(poll[1])) : undefined;
    if (polled) return polled.check(Object.fromEntries(url.searchParams), res);
    const method = /^\/method\/([a-zA-Z]+\.[a-zA-Z]+)$/.exec(url.pathname)?.[1];
    if (!method) return void res.writeHead(404).end();
    const form = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : {};
    const params: Params = { ...Object.fromEntries(url.searchParams), ...form };
    const answer = (payload: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    const community = this.byToken(params.access_token);
    try {
      if (!params.access_token) throw errors.auth('no access_token passed');
      if (!params.v) throw errors.request('v (version) is required');
      if (!community) throw errors.auth('invalid access_token (4)');
      community.admit(method);
      const response = await community.call(method, params);
      answer({ response });
    } catch (error) {
      if (!(error instanceof VkError)) throw error;
      community?.requests.push({ method, code: error.code, at: Date.now(), ...(params.random_id ? { randomId: Number(params.random_id) } : {}) });
      answer({ error: { error_code: error.code, error_msg: error.description, request_params: [{ key: 'method', value: method }, { key: 'v', value: params.v ?? '' }] } });
    }
  }
}

interface PendingPoll {
  res: http.ServerResponse;
  timer: NodeJS.Timeout;
}

export class StandinCommunity {
  readonly accessToken = `vk1.a.${crypto.randomBytes(40).toString('base64url')}`;
  readonly secretKey = crypto.randomBytes(12).toString('hex');
  readonly confirmationCode = crypto.randomBytes(4).toString('hex');
  readonly sent: SentMessage[] = [];
  readonly requests: ApiRequest[] = [];
  /** message_event ids answered with sendMessageEventAnswer. */
  readonly answeredEvents = new Set<string>();
  /** Events delivered to the Callback API, in order (repeats included). */
  readonly callbackLog: Array<{ eventId: string; status: number; body: string }> = [];
  callbackUrl?: string;
  callbackRetries = 5;
  window?: SlidingWindow;
  /** Runs as each message is accepted, before VK's answer is sent; undefined stops it. */
  onMessage?: (message: SentMessage) => void;
  private readonly allowed = new Set<number>();
  private readonly byRandomId = new Map<number, SentMessage>();
  private readonly cmids = new Map<number, number>();
  private readonly pendingEvents = new Map<string, { userId: number; peerId: number }>();
  private readonly uploads = new Map<string, number>();
  private readonly photos = new Set<string>();
  private readonly events: Array<{ ts: number; event: Record<string, unknown> }> = [];
  private readonly polls = new Set<PendingPoll>();
  private failures: number[] = [];
  private checkFailures: number[] = [];
  private key = crypto.randomBytes(8).toString('hex');
  private ts = 1;
  private nextMessageId = 1;
  private nextPhotoId = 457_239_000;

  constructor(
    private readonly standin: VkStandin,
    readonly groupId: number,
    readonly screenName: string,
  ) {}

  get credentials() {
    return { groupId: this.groupId, accessToken: this.accessToken, secretKey: this.secretKey, confirmationCode: this.confirmationCode };
  }

  messagesTo(peerId: number): SentMessage[] {
    return this.sent.filter((m) => m.peerId === peerId);
  }

  /** The next `count` API calls answer this error code (1, 5, 6, 10, …). */
  failNext(count: number, code: number): void {
    this.failures.push(...Array.from({ length: count }, () => code));
  }

  /** The next Long Poll checks answer `{failed: n}`. */
  failNextCheck(...failed: number[]): void {
    this.checkFailures.push(...failed);
    // A reader parked in a check gets the first failure now.
    for (const poll of [...this.polls]) this.answerPoll(poll, []);
  }

  /** Failures set by failNextCheck not yet answered. */
  get pendingCheckFailures(): number {
    return this.checkFailures.length;
  }

  user(id: number): StandinVkUser {
    return new StandinVkUser(this, id);
  }

  /** Counts a call against the token's limit, or refuses it (error 6). */
  admit(method: string): void {
    const injected = this.failures.shift();
    if (injected !== undefined) throw new VkError(injected, injected === 6 ? 'Too many requests per second' : 'Injected error');
    const limits = this.standin.limits;
    if (!limits.enabled) return;
    this.window ??= new SlidingWindow(limits.perTokenPerSecond, 1000);
    const now = Date.now();
    if (this.window.waitMs(now) > 0) throw errors.tooMany();
    this.window.record(now);
    void method;
  }

  async call(method: string, params: Params): Promise<unknown> {
    switch (method) {
      case 'groups.getById':
        return { groups: [{ id: this.groupId, name: `Community ${this.groupId}`, screen_name: this.screenName, type: 'group' }], profiles: [] };
      case 'users.get':
        return String(params.user_ids ?? '').split(',').filter(Boolean).map((id) => ({ id: Number(id), first_name: `Name${id}`, last_name: 'Standin', screen_name: `id${id}`, can_access_closed: true, is_closed: false }));
      case 'groups.getLongPollServer':
        if (Number(params.group_id) !== this.groupId) throw errors.param('group_id');
        this.logOk(method);
        return { key: this.key, server: `${this.standin.origin}/lp/${this.groupId}`, ts: String(this.ts) };
      case 'messages.send':
        return this.send(params);
      case 'messages.sendMessageEventAnswer':
        return this.answerEvent(params);
      case 'photos.getMessagesUploadServer':
        this.logOk(method);
        return { upload_url: `${this.standin.origin}/upload/${this.groupId}`, album_id: -64, group_id: this.groupId };
      case 'photos.saveMessagesPhoto':
        return this.savePhoto(params);
      default:
        throw new VkError(3, 'Unknown method passed');
    }
  }

  private logOk(method: string, randomId?: number): void {
    this.requests.push({ method, code: 'ok', at: Date.now(), ...(randomId !== undefined ? { randomId } : {}) });
  }

  private send(params: Params): unknown {
    if (params.random_id === undefined || !/^-?\d+$/.test(params.random_id)) throw errors.param('random_id is a required parameter');
    const randomId = Number(params.random_id);
    const peers = (params.peer_ids ?? params.peer_id ?? '').split(',').filter(Boolean).map(Number);
    if (peers.length !== 1 || !Number.isInteger(peers[0])) throw errors.param('peer_ids');
    const peerId = peers[0];
    if (!params.message && !params.attachment) throw errors.param('message is empty or invalid');
    checkText(params.message);
    const keyboard = params.keyboard ? checkKeyboard(params.keyboard) : undefined;
    if (params.attachment && !params.attachment.split(',').every((a) => this.photos.has(a))) throw errors.param('attachment is invalid');
    const repeat = this.byRandomId.get(randomId);
    if (repeat) {
      this.logOk('messages.send', randomId);
      return [{ peer_id: repeat.peerId, message_id: repeat.messageId, conversation_message_id: repeat.conversationMessageId }];
    }
    if (!this.allowed.has(peerId)) {
      this.requests.push({ method: 'messages.send', code: 901, at: Date.now(), randomId });
      return [{ peer_id: peerId, error: { code: 901, description: "Can't send messages for users without permission" } }];
    }
    const conversationMessageId = (this.cmids.get(peerId) ?? 0) + 1;
    this.cmids.set(peerId, conversationMessageId);
    const message: SentMessage = { peerId, text: params.message ?? '', ...(keyboard ? { keyboard } : {}), ...(params.attachment ? { attachment: params.attachment } : {}), randomId, messageId: this.nextMessageId++, conversationMessageId, at: Date.now() };
    this.sent.push(message);
    this.byRandomId.set(randomId, message);
    this.logOk('messages.send', randomId);
    this.onMessage?.(message);
    return [{ peer_id: peerId, message_id: message.messageId, conversation_message_id: conversationMessageId }];
  }

  private answerEvent(params: Params): unknown {
    const pending = this.pendingEvents.get(params.event_id);
    if (!pending || pending.userId !== Number(params.user_id) || pending.peerId !== Number(params.peer_id)) throw errors.param('event_id');
    this.pendingEvents.delete(params.event_id);
    this.answeredEvents.add(params.event_id);
    this.logOk('messages.sendMessageEventAnswer');
    return 1;
  }

  receiveUpload(contentType: string, body: Buffer): unknown {
    if (!contentType.startsWith('multipart/form-data') || !body.includes('name="photo"')) return { server: 1, photo: '[]', hash: '' };
    const photo = crypto.randomBytes(6).toString('hex');
    this.uploads.set(photo, body.length);
    return { server: 850_000 + this.groupId % 1000, photo: JSON.stringify([{ photo }]), hash: crypto.createHash('md5').update(photo).digest('hex') };
  }

  private savePhoto(params: Params): unknown {
    const photo = (() => {
      try {
        return (JSON.parse(params.photo ?? '') as Array<{ photo: string }>)[0]?.photo;
      } catch {
        return undefined;
      }
    })();
    if (!photo || !this.uploads.has(photo) || params.hash !== crypto.createHash('md5').update(photo).digest('hex')) throw errors.param('photo is undefined');
    this.uploads.delete(photo);
    const id = this.nextPhotoId++;
    this.photos.add(`photo-${this.groupId}_${id}`);
    this.logOk('photos.saveMessagesPhoto');
    return [{ id, owner_id: -this.groupId, album_id: -64, date: Math.floor(Date.now() / 1000) }];
  }

  /** A person's action becomes an event: queued for Long Poll, and posted to the Callback API when a server is set. */
  emit(type: string, object: Record<string, unknown>, before?: () => void): { eventId: string; delivered: Promise<CallbackDelivery | undefined> } {
    before?.();
    const eventId = crypto.randomBytes(20).toString('hex');
    const event = { group_id: this.groupId, type, event_id: eventId, v: '5.199', object };
    this.events.push({ ts: this.ts++, event });
    for (const poll of [...this.polls]) this.answerPoll(poll, this.events.slice(-1).map((e) => e.event));
    return { eventId, delivered: this.callbackUrl ? this.deliver(event) : Promise.resolve(undefined) };
  }

  /** People who allowed the community's messages without writing (seeded audiences). */
  allow(userIds: number[]): void {
    for (const id of userIds) this.allowed.add(id);
  }

  noteAllowed(userId: number, allowed: boolean): void {
    if (allowed) this.allowed.add(userId);
    else this.allowed.delete(userId);
  }

  noteEvent(eventId: string, userId: number, peerId: number): void {
    this.pendingEvents.set(eventId, { userId, peerId });
  }

  /** The Callback API's confirmation request: what the server answered. */
  async confirm(): Promise<{ status: number; body: string }> {
    const response = await fetch(this.callbackUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'confirmation', group_id: this.groupId }) });
    return { status: response.status, body: await response.text() };
  }

  /** Posts one event body as VK would (secret added unless `secret` says otherwise), once: for forgery tests. */
  async postRaw(event: Record<string, unknown>, secret: string | null = this.secretKey): Promise<{ status: number; body: string }> {
    const response = await fetch(this.callbackUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...event, ...(secret === null ? {} : { secret }) }) });
    return { status: response.status, body: await response.text() };
  }

  /** VK sends an event until the server answers `ok` with 200, a few times, the same event_id each time. */
  private async deliver(event: Record<string, unknown>): Promise<CallbackDelivery> {
    let last: CallbackDelivery = { status: 0, body: '', attempts: 0 };
    for (let attempt = 1; attempt <= this.callbackRetries + 1 && !this.standin.isClosed; attempt++) {
      try {
        const response = await fetch(this.callbackUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...event, secret: this.secretKey }) });
        last = { status: response.status, body: await response.text(), attempts: attempt };
      } catch (error) {
        last = { status: 0, body: (error as Error).message, attempts: attempt };
      }
      this.callbackLog.push({ eventId: String(event.event_id), status: last.status, body: last.body });
      if (last.status === 200 && last.body === 'ok') return last;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
    return last;
  }

  /** A repeat of an event VK already delivered (its retry after a lost answer). */
  redeliver(eventId: string): Promise<CallbackDelivery> {
    const found = this.events.find((e) => e.event.event_id === eventId);
    if (!found) throw new Error(`no event ${eventId}`);
    return this.deliver(found.event);
  }

  check(query: Params, res: http.ServerResponse): void {
    const reply = (body: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (query.act !== 'a_check') return reply({ failed: 2 });
    const failed = this.checkFailures.shift();
    if (failed === 1) return reply({ failed: 1, ts: String(this.ts) });
    if (failed === 2) {
      this.key = crypto.randomBytes(8).toString('hex');
      return reply({ failed: 2 });
    }
    if (failed === 3) return reply({ failed: 3 });
    if (query.key !== this.key) return reply({ failed: 2 });
    const from = Number(query.ts);
    if (!Number.isInteger(from) || from > this.ts) return reply({ failed: 3 });
    const waiting = this.events.filter((e) => e.ts >= from).map((e) => e.event);
    if (waiting.length) return reply({ ts: String(this.ts), updates: waiting });
    const poll: PendingPoll = { res, timer: setTimeout(() => this.answerPoll(poll, []), Math.min(90, Number(query.wait) || 25) * 1000) };
    this.polls.add(poll);
    res.on('close', () => {
      clearTimeout(poll.timer);
      this.polls.delete(poll);
    });
  }

  private answerPoll(poll: PendingPoll, updates: unknown[]): void {
    clearTimeout(poll.timer);
    this.polls.delete(poll);
    if (!poll.res.writableEnded) poll.res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ts: String(this.ts), updates }));
  }

  releasePolls(): void {
    for (const poll of [...this.polls]) this.answerPoll(poll, []);
  }
}

/** A test's handle on one VK user writing to the community. */
export class StandinVkUser {
  constructor(
    readonly community: StandinCommunity,
    readonly id: number,
  ) {}

  private message(text: string, extra: Record<string, unknown> = {}) {
    // Writing to a community allows its answers (VK: the community may reply to whoever wrote).
    return this.community.emit('message_new', { message: { date: Math.floor(Date.now() / 1000), from_id: this.id, id: 0, out: 0, peer_id: this.id, text, conversation_message_id: 0, attachments: [], ...extra }, client_info: { button_actions: ['text', 'callback', 'open_link'], keyboard: true, inline_keyboard: true, lang_id: 0 } }, () => this.community.noteAllowed(this.id, true));
  }

  writes(text: string) {
    return this.message(text);
  }

  /** Opens vk.me/<community>?ref=<ref> and presses "Start": the first message carries the ref. */
  opensLink(ref: string) {
    return this.message('Начать', { ref, ref_source: 'link', payload: '{"command":"start"}' });
  }

  /** Presses a text button of the community's latest keyboard: its label is written, with its payload. */
  pressesText(label: string) {
    const message = [...this.community.messagesTo(this.id)].reverse().find((m) => m.keyboard?.buttons.flat().some((b: any) => b.action.type === 'text' && b.action.label === label));
    if (!message) throw new Error(`no text button "${label}" for ${this.id}`);
    return this.message(label, { payload: '{}' });
  }

  /** Taps a callback button on a message (by its conversation_message_id): a message_event to be answered. */
  taps(conversationMessageId: number, label: string) {
    const message = this.community.messagesTo(this.id).find((m) => m.conversationMessageId === conversationMessageId);
    const button = message?.keyboard?.buttons.flat().find((b: any) => b.action.type === 'callback' && b.action.label === label);
    if (!button) throw new Error(`no callback button "${label}" on message ${conversationMessageId}`);
    const eventId = crypto.randomBytes(6).toString('hex');
    this.community.noteEvent(eventId, this.id, this.id);
    const emitted = this.community.emit('message_event', { user_id: this.id, peer_id: this.id, event_id: eventId, payload: JSON.parse(button.action.payload), conversation_message_id: conversationMessageId });
    return { ...emitted, buttonEventId: eventId };
  }

  /** Allows the community's messages (message_allow). */
  allows() {
    return this.community.emit('message_allow', { user_id: this.id, key: 'standin' }, () => this.community.noteAllowed(this.id, true));
  }

  /** Forbids the community's messages (message_deny): sends to them answer 901. */
  denies() {
    return this.community.emit('message_deny', { user_id: this.id }, () => this.community.noteAllowed(this.id, false));
  }

  /** Stops allowing messages without VK telling the community (it learns on the next send: 901). */
  revokesSilently(): void {
    this.community.noteAllowed(this.id, false);
  }
}
