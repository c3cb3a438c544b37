import type { AppContext } from '../platform/context';
import type { ChannelName } from './inbound-update';

export interface MessageButton {
  text: string;
  /** Callback data (comes back as a `button.pressed` event). */
  data?: string;
  url?: string;
}

/** One message for one recipient, after template rendering: what a channel puts on the wire. */
export interface RenderedMessage {
  text: string;
  parseMode?: 'HTML' | 'MarkdownV2';
  buttons?: MessageButton[][];
  imageUrl?: string;
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
  | { kind: 'ok'; externalId: string }
  | { kind: 'rateLimited'; retryAfterMs: number }
  | { kind: 'blocked'; reason: string }
  | { kind: 'transient'; reason: string }
  | { kind: 'permanent'; reason: string };

export interface SendOptions {
  /** Telegram's `allow_paid_broadcast` (up to 1000 messages/s, paid by the bot owner). */
  paidBroadcast?: boolean;
}

/** An outbound channel. Telegram and the web chat implement it; the delivery worker only sees this. */
export interface OutboundChannel {
  readonly name: ChannelName;
  send(recipient: ChannelRecipient, message: RenderedMessage, options?: SendOptions): Promise<SendOutcome>;
}

export type ChannelFactory = (ctx: AppContext) => OutboundChannel;
