import type { AppContext } from '../platform/context';
import type { ChannelName } from './inbound-update';

export interface MessageButton {
  text: string;
  /** Callback data (comes back as a `button.pressed` event). */
  data?: string;
  url?: string;
}

/**
 * Where a file comes from: a URL the platform fetches, a file id the platform issued, or bytes
 * stored with the message (`bytes` is loaded only for a channel that uploads them; `ref` names the
 * stored file, so the channel can report the file id the platform gave it for reuse).
 */
export type FileSource =
  | { url: string }
  | { fileId: string }
  | { upload: { ref: number; fileName: string; mimeType?: string; size: number; bytes?: Buffer } };

export type MediaKind = 'photo' | 'document' | 'video' | 'audio' | 'voice' | 'animation';

export interface RenderedMedia {
  kind: MediaKind;
  source: FileSource;
}

/** One message for one recipient, after template rendering: what a channel puts on the wire. */
export interface RenderedMessage {
  text: string;
  parseMode?: 'HTML' | 'MarkdownV2';
  buttons?: MessageButton[][];
  imageUrl?: string;
  /** One file; `text` is its caption. */
  media?: RenderedMedia;
  /** 2–10 files shown together; `text` is the first one's caption unless it has its own. */
  album?: Array<RenderedMedia & { caption?: string }>;
  location?: { latitude: number; longitude: number };
  /** A Telegram invoice (prices in the smallest unit; XTR is Telegram Stars). */
  invoice?: { title: string; description: string; payload: string; currency: string; prices: Array<{ label: string; amount: number }>; providerToken?: string };
  /** Answers offered under the message (Telegram's reply keyboard, web-chat chips): a tap sends the text. */
  quickReplies?: string[];
  /** A one-button keyboard asking for the person's phone number. */
  requestContact?: { buttonText: string };
  removeKeyboard?: boolean;
}

export interface ChannelRecipient {
  botId: number;
  chatId: string;
}

/**
 * What came of one send. The worker acts on the kind: `rateLimited` pauses the whole bot,
 * `transient` is retried with backoff, `blocked` makes the lead unreachable, `permanent` fails.
 */
export type SendOutcome =
  /** `repeatSafe`: the platform drops a repeat of this send (VK's random_id), so an earlier attempt cut off by a crash cannot have produced a second copy. */
  | { kind: 'ok'; externalId: string; repeatSafe?: true; uploaded?: UploadedFileId[] }
  | { kind: 'rateLimited'; retryAfterMs: number }
  | { kind: 'blocked'; reason: string }
  | { kind: 'transient'; reason: string }
  | { kind: 'permanent'; reason: string };

/** A stored file the channel uploaded, and the id it may be sent by from now on (Telegram's `file_id`). */
export interface UploadedFileId {
  ref: number;
  fileId: string;
}

export interface SendOptions {
  /** Telegram's `allow_paid_broadcast` (up to 1000 messages/s, paid by the bot owner). */
  paidBroadcast?: boolean;
  /** The recipient row being delivered: the same on every attempt of this copy (VK derives its random_id from it). */
  deliveryKey?: number;
}

/** A change to a message already sent: its text (the caption of media) and/or its buttons. */
export interface MessageEdit {
  text?: string;
  parseMode?: 'HTML' | 'MarkdownV2';
  buttons?: MessageButton[][];
  /** The sent message carries media: its text is a caption. */
  isCaption: boolean;
}

export type ActionOutcome = { ok: true } | { ok: false; reason: string };

/** What a channel can do to a conversation besides sending; a channel without it refuses each with a reason. */
export interface ConversationActions {
  /** `externalId` is what the send returned (an album's ids joined by commas). */
  edit(recipient: ChannelRecipient, externalId: string, edit: MessageEdit): Promise<ActionOutcome>;
  remove(recipient: ChannelRecipient, externalId: string): Promise<ActionOutcome>;
  /** "typing" and the like, shown for a few seconds or until the next message. */
  chatAction(recipient: ChannelRecipient, action: string): Promise<ActionOutcome>;
  /** Answers a pressed button: a toast, or an alert the person closes. */
  answerButton(botId: number, callbackId: string, answer: { text?: string; showAlert?: boolean }): Promise<ActionOutcome>;
}

/** An outbound channel. Telegram, the web chat, WhatsApp and VK implement it; the delivery worker only sees this. */
export interface OutboundChannel {
  readonly name: ChannelName;
  send(recipient: ChannelRecipient, message: RenderedMessage, options?: SendOptions): Promise<SendOutcome>;
  actions?: ConversationActions;
}

export type ChannelFactory = (ctx: AppContext) => OutboundChannel;
