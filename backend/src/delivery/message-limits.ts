import type { FieldError } from '../platform/errors';
import { plainText } from '../channels/plain-text';

/**
 * Telegram's limits on what one message carries (core.telegram.org/bots/api: sendMessage "text
 * 1-4096 characters after entities parsing", the send methods' "caption 0-1024 characters after
 * entities parsing", InlineKeyboardButton "callback_data 1-64 bytes", sendMediaGroup "2-10 items",
 * "Sending files": 10 MB for a photo and 50 MB for other files uploaded, 5 MB / 20 MB by URL).
 * The keyboard bounds (8 buttons a row, 100 in all) are what Telegram answers BUTTONS_TOO_MUCH
 * past. Lengths count UTF-16 code units, as Telegram's entity offsets do.
 */
export const MESSAGE_LIMITS = {
  text: 4096,
  caption: 1024,
  callbackDataBytes: 64,
  buttonsPerRow: 8,
  buttonsInAll: 100,
  albumMin: 2,
  albumMax: 10,
  /** Bytes of a file uploaded with the request, by kind. */
  uploadBytes: { photo: 10 * 1024 * 1024, other: 50 * 1024 * 1024 },
  /** A template's source may be longer than what it renders (markup, tags): bounded, not by Telegram's limit. */
  templateSource: 16_384,
  fileName: 255,
} as const;

export function uploadLimitOf(kind: string): number {
  return kind === 'photo' ? MESSAGE_LIMITS.uploadBytes.photo : MESSAGE_LIMITS.uploadBytes.other;
}

export function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

/** What one rendered message is checked for: its text (a caption when it carries media) and its buttons. */
export interface RenderedForLimits {
  text: string;
  parseMode?: 'HTML' | 'MarkdownV2';
  isCaption: boolean;
  buttons?: Array<Array<{ text: string }>>;
}

/** The length Telegram counts: the text after its markup is parsed (tags and escapes do not count). */
export function visibleLength(text: string, parseMode: RenderedForLimits['parseMode']): number {
  return (parseMode ? plainText(text, parseMode) : text).length;
}

/** Every limit the rendered message breaks, each naming its field and the limit; empty when it fits. */
export function renderedLimitProblems(message: RenderedForLimits, prefix = ''): FieldError[] {
  const problems: FieldError[] = [];
  const length = visibleLength(message.text, message.parseMode);
  const max = message.isCaption ? MESSAGE_LIMITS.caption : MESSAGE_LIMITS.text;
  if (length > max) {
    const what = message.isCaption ? 'a caption (the text of a message with media)' : 'a text';
    problems.push({ path: `${prefix}text`, message: `${what} is at most ${max} characters after rendering; this one is ${length}` });
  }
  return problems;
}
