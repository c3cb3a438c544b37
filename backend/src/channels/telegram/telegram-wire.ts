import { GrammyError, HttpError } from 'grammy';
import type { InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'grammy/types';
import type { RenderedMessage, SendOutcome } from '../channel';

/** Telegram's wire shapes both the sending and the conversation actions use: keyboards and errors. */

type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

export function replyMarkupFor(message: RenderedMessage): ReplyMarkup | undefined {
  if (message.buttons?.length) {
    return {
      inline_keyboard: message.buttons.map((row) =>
        row.map((button) => (button.url ? { text: button.text, url: button.url } : { text: button.text, callback_data: button.data ?? button.text })),
      ),
    };
  }
  if (message.quickReplies?.length) {
    return { keyboard: message.quickReplies.map((text) => [{ text }]), resize_keyboard: true, one_time_keyboard: true };
  }
  if (message.requestContact) {
    return { keyboard: [[{ text: message.requestContact.buttonText, request_contact: true }]], resize_keyboard: true, one_time_keyboard: true };
  }
  if (message.removeKeyboard) return { remove_keyboard: true };
  return undefined;
}

export function withoutToken(text: string): string {
  return text.replace(/bot\d+:[A-Za-z0-9_-]+/g, 'bot<token>');
}

/** An error from grammY as one line safe for logs: a nested network error's URL holds the token. */
export function describeTelegramError(error: unknown): string {
  const nested = error instanceof HttpError ? ` (${(error.error as Error)?.message ?? ''})` : '';
  return withoutToken(`${(error as Error)?.message ?? String(error)}${nested}`);
}

/** Telegram's answer → what the worker does next. */
export function classifyTelegramError(error: unknown): SendOutcome {
  if (error instanceof GrammyError) {
    const reason = `${error.error_code} ${error.description}`;
    if (error.error_code === 429) return { kind: 'rateLimited', retryAfterMs: (error.parameters.retry_after ?? 1) * 1000 };
    // 403: blocked by the user, user deactivated, kicked from the group: this chat is gone for the bot.
    if (error.error_code === 403) return { kind: 'blocked', reason };
    if (error.error_code >= 500 || error.error_code === 401 || error.error_code === 404) return { kind: 'transient', reason };
    return { kind: 'permanent', reason };
  }
  // A network error's message carries the request URL, and with it the token: never store or log that.
  if (error instanceof HttpError) return { kind: 'transient', reason: withoutToken(`network: ${(error.error as Error)?.message ?? error.message}`) };
  return { kind: 'transient', reason: withoutToken((error as Error)?.message ?? String(error)) };
}

