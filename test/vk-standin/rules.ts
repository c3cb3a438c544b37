/**
 * VK's errors and message rules as the stand-in enforces them. Error codes and texts from VK's
 * published schema (github.com/VKCOM/vk-api-schema, errors.json; dev.vk.com/ru/reference/errors);
 * keyboard limits from dev.vk.com/ru/api/bots/development/keyboard (5 buttons a row; an inline
 * keyboard 6 rows and 10 buttons, a regular one 10 rows and 40; labels of 40 characters, payloads
 * of 255); the text limit from dev.vk.com/ru/method/messages.send (9000 characters).
 */

export class VkError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(description);
  }
}

export const errors = {
  auth: (why: string) => new VkError(5, `User authorization failed: ${why}.`),
  tooMany: () => new VkError(6, 'Too many requests per second'),
  request: (why: string) => new VkError(8, `Invalid request: ${why}`),
  param: (why: string) => new VkError(100, `One of the parameters specified was missing or invalid: ${why}`),
  denied: () => new VkError(901, "Can't send messages for users without permission"),
  keyboard: (why: string) => new VkError(911, `Keyboard format is invalid: ${why}`),
  tooLong: () => new VkError(914, 'Message is too long'),
};

const KEYBOARD = { perRow: 5, inlineRows: 6, inlineButtons: 10, rows: 10, buttons: 40, label: 40, payload: 255 };
const ACTIONS = ['text', 'callback', 'open_link', 'location', 'vkpay', 'open_app'];

/** messages.send's `keyboard`: valid JSON of VK's shape within its limits, or error 911. */
export function checkKeyboard(raw: string): Record<string, any> {
  let keyboard: Record<string, any>;
  try {
    keyboard = JSON.parse(raw);
  } catch {
    throw errors.keyboard('not JSON');
  }
  const rows = keyboard.buttons;
  if (!Array.isArray(rows) || rows.some((row) => !Array.isArray(row))) throw errors.keyboard('buttons must be an array of rows');
  const inline = keyboard.inline === true;
  const count = rows.flat().length;
  if (rows.length > (inline ? KEYBOARD.inlineRows : KEYBOARD.rows)) throw errors.keyboard('too many rows');
  if (count > (inline ? KEYBOARD.inlineButtons : KEYBOARD.buttons)) throw errors.keyboard('too many buttons');
  for (const row of rows) {
    if (row.length > KEYBOARD.perRow) throw errors.keyboard('too many buttons in a row');
    for (const button of row) {
      const action = button?.action;
      if (!ACTIONS.includes(action?.type)) throw errors.keyboard(`action.type must be one of ${ACTIONS.join(', ')}`);
      if (action.type === 'callback' && !inline && keyboard.one_time) throw errors.keyboard('callback buttons cannot be on a one-time keyboard');
      if (['text', 'callback', 'open_link'].includes(action.type) && (typeof action.label !== 'string' || [...action.label].length > KEYBOARD.label || !action.label)) throw errors.keyboard('label must be 1 to 40 characters');
      if (action.type === 'open_link' && !/^https?:\/\//.test(action.link ?? '')) throw errors.keyboard('open_link needs a link');
      if (action.payload !== undefined && (typeof action.payload !== 'string' || action.payload.length > KEYBOARD.payload)) throw errors.keyboard('payload must be a string of at most 255 characters');
    }
  }
  return keyboard;
}

export function checkText(text: string | undefined): void {
  if (text !== undefined && [...text].length > 9000) throw errors.tooLong();
}
