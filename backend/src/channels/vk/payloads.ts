import crypto from 'node:crypto';
import type { MessageButton, RenderedMessage } from '../channel';
import { plainText } from '../plain-text';

/**
 * A rendered message in VK's shapes (dev.vk.com/ru/api/bots/development/keyboard): inline buttons
 * become an inline keyboard of `callback` buttons (a tap is a `message_event`) and `open_link`
 * buttons; quick replies a one-time keyboard of `text` buttons (a tap writes the label); the text
 * is plain (VK has no markup for communities).
 */

/** VK's keyboard limits: 5 buttons a row; inline 6 rows and 10 buttons, a regular keyboard 10 rows and 40; labels of 40, payloads of 255. */
const LIMITS = { perRow: 5, inlineRows: 6, inlineButtons: 10, rows: 10, buttons: 40, label: 40, payload: 255, text: 9000 };

/** The callback payload: the button's data, read back from `message_event`. */
export function callbackPayload(data: string): string {
  return JSON.stringify({ d: data });
}

function fit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function inlineButton(button: MessageButton): Record<string, unknown> | string {
  const label = fit(button.text, LIMITS.label);
  if (button.url) return { action: { type: 'open_link', link: button.url, label } };
  const payload = callbackPayload(button.data ?? button.text);
  if (payload.length > LIMITS.payload) return `a VK button's data is at most ${LIMITS.payload - 8} characters`;
  return { action: { type: 'callback', label, payload } };
}

/** A keyboard as messages.send takes it (JSON), or why there cannot be one. */
type Keyboard = { json: string } | { problem: string };

function inlineKeyboard(rows: MessageButton[][]): Keyboard {
  const count = rows.flat().length;
  if (rows.length > LIMITS.inlineRows || count > LIMITS.inlineButtons || rows.some((row) => row.length > LIMITS.perRow)) {
    return { problem: `VK shows at most ${LIMITS.inlineButtons} buttons under a message, ${LIMITS.perRow} a row, ${LIMITS.inlineRows} rows (this one has ${count} in ${rows.length})` };
  }
  const buttons = rows.map((row) => row.map(inlineButton));
  const problem = buttons.flat().find((b): b is string => typeof b === 'string');
  return problem ? { problem } : { json: JSON.stringify({ inline: true, buttons }) };
}

function replyKeyboard(labels: string[]): Keyboard {
  if (labels.length > LIMITS.buttons) return { problem: `a VK keyboard has at most ${LIMITS.buttons} buttons` };
  const buttons = labels.map((label) => [{ action: { type: 'text', label: fit(label, LIMITS.label) }, color: 'secondary' }]).slice(0, LIMITS.rows);
  const rest = labels.slice(LIMITS.rows).map((label) => ({ action: { type: 'text', label: fit(label, LIMITS.label) }, color: 'secondary' }));
  // More answers than rows: the rest share the rows, five to a row.
  for (let i = 0; i < rest.length; i++) buttons[i % LIMITS.rows].push(rest[i]);
  return { json: JSON.stringify({ one_time: true, buttons }) };
}

function keyboardOf(message: RenderedMessage): Keyboard | undefined {
  if (message.buttons?.length) return inlineKeyboard(message.buttons);
  if (message.quickReplies?.length) return replyKeyboard(message.quickReplies);
  // VK gives communities no way to ask for a phone number: the request goes as its text alone, and the keyboard is put away.
  if (message.removeKeyboard || message.requestContact) return { json: JSON.stringify({ one_time: true, buttons: [] }) };
  return undefined;
}

export interface SendParams {
  message: string;
  keyboard?: string;
}

/** messages.send's text and keyboard, or why this message cannot go to VK. */
export function sendParams(message: RenderedMessage): SendParams | string {
  const text = plainText(message.text, message.parseMode);
  if ([...text].length > LIMITS.text) return `a VK message has at most ${LIMITS.text} characters`;
  const keyboard = keyboardOf(message);
  if (keyboard && 'problem' in keyboard) return keyboard.problem;
  return { message: text, ...(keyboard ? { keyboard: keyboard.json } : {}) };
}

/**
 * VK drops a second messages.send with a random_id it has seen from this community, answering the
 * first message's ids (dev.vk.com/ru/method/messages.send: unique per sender, checked against the
 * message history, int32). A delivery's random_id is its recipient row's id, so every attempt of a
 * copy — the one a crash cut off included — is the same send to VK. Row ids use 1 … 2^30 − 1;
 * immediate replies take 2^30 … 2^31 − 1 from their update's id, so the two never meet.
 */
const ROW_SPACE = 2 ** 30 - 1;

export function deliveryRandomId(rowId: number): number {
  return ((rowId - 1) % ROW_SPACE) + 1;
}

export function replyRandomId(updateId: string): number {
  return 2 ** 30 + (crypto.createHash('sha256').update(updateId).digest().readUInt32BE(0) % 2 ** 30);
}
