import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NumberLimiter, type WhatsappLimits, whatsappLimits } from './limits';
import { checkMessage, checkTemplateParameters, GraphError } from './rules';
import { type Delivery, deliver, envelope, signature } from './webhooks';

/**
 * A WhatsApp Cloud API stand-in: a real HTTP Graph API (`POST /{version}/{phone-number-id}/messages`)
 * that checks the bearer token, the message shapes and limits (rules.ts), the 24-hour customer
 * service window (developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows:
 * free-form messages only within 24 hours of the person's last message, templates at any time,
 * otherwise 131047), approved templates (132001, 132000), throughput and pair rate (limits.ts),
 * numbers not on WhatsApp (131026), and injected 5xx. Accepted messages get `sent` and `delivered`
 * status webhooks; users write, tap, pick list rows, share contacts and read, each as a signed
 * webhook to the backend, retried like Meta's until it answers 200.
 */

export interface StandinTemplate {
  name: string;
  language: string;
  /** How many {{n}} the body has. */
  bodyParameters: number;
}

export interface SentMessage {
  id: string;
  to: string;
  type: string;
  payload: Record<string, any>;
  at: number;
}

export interface StandinOptions {
  limits?: Partial<WhatsappLimits>;
  /** Times a webhook is delivered again after a non-2xx answer. */
  webhookRetries?: number;
  webhookBackoffMs?: number;
}

const newId = (prefix: string) => `${prefix}${crypto.randomBytes(18).toString('base64url')}`;

export class WhatsappStandin {
  limits: WhatsappLimits;
  readonly numbers = new Map<string, StandinNumber>();
  private offsetMs = 0;
  private closed = false;
  private server?: http.Server;
  private url = '';

  private constructor(readonly options: StandinOptions) {
    this.limits = { ...whatsappLimits, ...options.limits };
  }

  static async start(options: StandinOptions = {}): Promise<WhatsappStandin> {
    const standin = new WhatsappStandin(options);
    standin.server = http.createServer((req, res) => void standin.handle(req, res));
    await new Promise<void>((resolve) => standin.server!.listen(0, '127.0.0.1', () => resolve()));
    standin.url = `http://127.0.0.1:${(standin.server.address() as AddressInfo).port}`;
    return standin;
  }

  /** The WHATSAPP_API_ROOT to give the backend. */
  get apiRoot(): string {
    return `${this.url}/v23.0`;
  }

  /** The stand-in's clock for the window: moved by `advance` (the backend's clock is the test's to move). */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  setLimits(limits: Partial<WhatsappLimits>): void {
    this.limits = { ...this.limits, ...limits };
    for (const number of this.numbers.values()) number.limiter.reset();
  }

  createNumber(templates: StandinTemplate[] = []): StandinNumber {
    const number = new StandinNumber(this, templates);
    this.numbers.set(number.phoneNumberId, number);
    return number;
  }

  /** How webhooks are delivered again; none once closed. */
  get retry() {
    return { retries: this.options.webhookRetries ?? 20, backoffMs: this.options.webhookBackoffMs ?? 50, stopped: () => this.closed };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = /^\/v\d+\.\d+\/(\d+)\/messages$/.exec(req.url ?? '');
    const number = match ? this.numbers.get(match[1]) : undefined;
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    try {
      if (req.method !== 'POST' || !number) throw new GraphError(400, 100, 'Unsupported post request. Object does not exist or does not support this operation');
      if (req.headers.authorization !== `Bearer ${number.accessToken}`) throw new GraphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
      let body: Record<string, any>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new GraphError(400, 100, 'Invalid parameter', 'the body is not JSON');
      }
      answer(200, number.accept(body));
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      answer(error.httpStatus, error.body());
    }
  }
}

export class StandinNumber {
  readonly phoneNumberId = String(100_000_000_000_000 + crypto.randomInt(1e9));
  readonly accessToken = newId('EAAStandin');
  readonly appSecret = crypto.randomBytes(16).toString('hex');
  readonly verifyToken = newId('verify-');
  readonly limiter: NumberLimiter;
  readonly sent: SentMessage[] = [];
  /** Every send request's outcome: the message id, or the error code. */
  readonly requests: Array<{ to: string; code: number | 'ok'; at: number }> = [];
  readonly deliveries: Delivery[] = [];
  /** wa_ids that are not on WhatsApp (131026 at once), or whose messages fail after acceptance (a `failed` status). */
  readonly notOnWhatsapp = new Set<string>();
  readonly failAfterAccept = new Set<string>();
  webhookUrl?: string;
  private readonly lastInbound = new Map<string, number>();
  private failures: Array<{ httpStatus: number; code: number }> = [];
  private pending: Array<Promise<unknown>> = [];

  constructor(
    private readonly standin: WhatsappStandin,
    readonly templates: StandinTemplate[],
  ) {
    this.limiter = new NumberLimiter(() => standin.limits);
  }

  get credentials() {
    return { phoneNumberId: this.phoneNumberId, accessToken: this.accessToken, appSecret: this.appSecret, verifyToken: this.verifyToken };
  }

  /** The next `count` sends answer this error (e.g. 500 / 131000). */
  failNext(count: number, failure: { httpStatus: number; code: number }): void {
    this.failures.push(...Array.from({ length: count }, () => failure));
  }

  user(waId: string, name = `User ${waId}`): StandinUser {
    return new StandinUser(this, waId, name);
  }

  /** Meta's subscription check: GET with hub.mode, hub.verify_token and hub.challenge. */
  async verify(verifyToken = this.verifyToken, challenge = newId('challenge-')): Promise<{ status: number; body: string; challenge: string }> {
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge });
    const response = await fetch(`${this.webhookUrl}?${query}`);
    return { status: response.status, body: await response.text(), challenge };
  }

  /** A webhook as Meta sends it; `sign` false or a string sends no or that signature (a forgery). */
  async post(value: Record<string, unknown>, sign: boolean | string = true): Promise<Delivery> {
    const raw = JSON.stringify(envelope(this.phoneNumberId, value));
    const header = sign === true ? signature(this.appSecret, raw) : sign === false ? undefined : sign;
    const delivery = await deliver(this.webhookUrl!, raw, header, this.standin.retry);
    this.deliveries.push(delivery);
    return delivery;
  }

  /** Waits for the status webhooks sent so far. */
  async settled(): Promise<void> {
    while (this.pending.length) await Promise.all(this.pending.splice(0));
  }

  noteInbound(waId: string): void {
    this.lastInbound.set(waId, this.standin.now());
  }

  /** The checks of one send, in Meta's order; answers the Graph API's success body. */
  accept(body: Record<string, any>): unknown {
    const to = String(body.to ?? '').replace(/^\+/, '');
    try {
      const failure = this.failures.shift();
      if (failure) throw new GraphError(failure.httpStatus, failure.code, 'Something went wrong', 'injected failure');
      checkMessage(body);
      if (this.notOnWhatsapp.has(to)) throw new GraphError(400, 131026, 'Message Undeliverable', 'the recipient is not a WhatsApp user');
      this.checkWindowOrTemplate(to, body);
      const limit = this.limiter.check(to, Date.now());
      if (limit === 'throughput') throw new GraphError(400, 130429, 'Rate limit hit', 'Cloud API message throughput has been reached');
      if (limit === 'pair') throw new GraphError(400, 131056, '(Business Account, Consumer Account) pair rate limit hit', 'Too many messages sent from this phone number to the same phone number in a short period of time');
    } catch (error) {
      if (error instanceof GraphError) this.requests.push({ to, code: error.code, at: Date.now() });
      throw error;
    }
    const message: SentMessage = { id: newId('wamid.'), to, type: body.type, payload: body, at: Date.now() };
    this.sent.push(message);
    this.requests.push({ to, code: 'ok', at: message.at });
    this.pending.push(this.receipts(message));
    return { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: to }], messages: [{ id: message.id }] };
  }

  private checkWindowOrTemplate(to: string, body: Record<string, any>): void {
    if (body.type === 'template') {
      const template = this.templates.find((t) => t.name === body.template?.name && t.language === body.template?.language?.code);
      if (!template) throw new GraphError(404, 132001, 'Template name does not exist in the translation', `template name (${String(body.template?.name)}) does not exist in ${String(body.template?.language?.code)}`);
      const parameters = (body.template.components ?? []).filter((c: any) => c.type === 'body').flatMap((c: any) => c.parameters ?? []);
      return checkTemplateParameters(parameters, template.bodyParameters);
    }
    const last = this.lastInbound.get(to);
    if (last === undefined || this.standin.now() - last > 24 * 3_600_000) {
      throw new GraphError(400, 131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.');
    }
  }

  /** Meta reports each accepted message's progress by webhook: sent, then delivered (or failed). */
  private async receipts(message: SentMessage): Promise<void> {
    const status = (name: string, extra: Record<string, unknown> = {}) =>
      this.post({ statuses: [{ id: message.id, status: name, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: message.to, ...extra }] });
    await status('sent');
    if (this.failAfterAccept.has(message.to)) await status('failed', { errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'Message Undeliverable.' } }] });
    else await status('delivered');
  }
}

export class StandinUser {
  constructor(
    readonly number: StandinNumber,
    readonly waId: string,
    readonly name: string,
  ) {}

  /** The person sends a message of this type; the business's window with them opens. */
  send(type: string, content: Record<string, unknown>, context?: string): Promise<Delivery> & { messageId: string } {
    const messageId = newId('wamid.in.');
    this.number.noteInbound(this.waId);
    const message = { from: this.waId, id: messageId, timestamp: String(Math.floor(Date.now() / 1000)), type, ...(context ? { context: { from: this.number.phoneNumberId, id: context } } : {}), ...content };
    const delivery = this.number.post({ contacts: [{ profile: { name: this.name }, wa_id: this.waId }], messages: [message] });
    return Object.assign(delivery, { messageId });
  }

  writes(text: string) {
    return this.send('text', { text: { body: text } });
  }

  /** Taps a reply button of a message the business sent (by its id). */
  taps(messageId: string, buttonId: string) {
    const message = this.number.sent.find((m) => m.id === messageId);
    const button = message?.payload.interactive?.action?.buttons?.find((b: any) => b.reply.id === buttonId);
    if (!button) throw new Error(`no button ${buttonId} on message ${messageId}`);
    return this.send('interactive', { interactive: { type: 'button_reply', button_reply: button.reply } }, messageId);
  }

  /** Picks a row of a list message the business sent. */
  picks(messageId: string, rowId: string) {
    const message = this.number.sent.find((m) => m.id === messageId);
    const row = message?.payload.interactive?.action?.sections?.flatMap((s: any) => s.rows).find((r: any) => r.id === rowId);
    if (!row) throw new Error(`no row ${rowId} on message ${messageId}`);
    return this.send('interactive', { interactive: { type: 'list_reply', list_reply: { id: row.id, title: row.title } } }, messageId);
  }

  /** Shares a contact card: their own (with their wa_id) or someone else's. */
  sharesContact(phone: string, own: boolean) {
    const waId = own ? this.waId : phone.replace(/\D/g, '');
    return this.send('contacts', { contacts: [{ name: { formatted_name: this.name }, phones: [{ phone, wa_id: waId, type: 'CELL' }] }] });
  }

  /** Opens the chat and reads a message: a `read` status webhook. */
  reads(messageId: string): Promise<Delivery> {
    return this.number.post({ statuses: [{ id: messageId, status: 'read', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: this.waId }] });
  }
}
