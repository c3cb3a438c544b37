import type { MessageButton, RenderedMessage } from '../channel';
import { plainText } from '../plain-text';
import type { WhatsappTemplate } from './whatsapp-store';

/**
 * A rendered message in the Cloud API's shapes (developers.facebook.com/docs/whatsapp/cloud-api/messages):
 * text, image by link, reply buttons (at most 3, titles of 20 characters) or a list (at most 10
 * rows, titles of 24). Link buttons have no free-form equivalent: they become lines of the text.
 */

type Payload = Record<string, unknown>;

/** A tap on a quick reply comes back as a button reply with this id prefix and is read as the text typed. */
export const QUICK_REPLY_PREFIX = 'mb-quick:';

const LIMITS = { buttons: 3, buttonTitle: 20, rows: 10, rowTitle: 24, listButton: 20, interactiveBody: 1024, text: 4096 };

interface Choice {
  id: string;
  title: string;
}

function fit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function choicesOf(message: RenderedMessage): Choice[] {
  const callbacks = (message.buttons ?? []).flat().filter((b) => !b.url);
  const quick = (message.quickReplies ?? []).map((text) => ({ id: `${QUICK_REPLY_PREFIX}${text}`, title: text }));
  return [...callbacks.map((b) => ({ id: b.data ?? b.text, title: b.text })), ...quick];
}

function bodyText(message: RenderedMessage): string {
  const links = (message.buttons ?? []).flat().filter((b): b is MessageButton & { url: string } => Boolean(b.url));
  return [plainText(message.text, message.parseMode), ...links.map((b) => `${b.text}: ${b.url}`)].filter(Boolean).join('\n');
}

function interactive(message: RenderedMessage, body: string, choices: Choice[]): Payload | string {
  if (choices.length > LIMITS.rows) return `WhatsApp offers at most ${LIMITS.rows} options in one message (this one has ${choices.length})`;
  if (!body) return 'WhatsApp buttons need a text';
  if ([...body].length > LIMITS.interactiveBody) return `a WhatsApp message with buttons has at most ${LIMITS.interactiveBody} characters of text`;
  if (choices.length <= LIMITS.buttons) {
    const header = message.imageUrl ? { header: { type: 'image', image: { link: message.imageUrl } } } : {};
    const buttons = choices.map((c) => ({ type: 'reply', reply: { id: c.id, title: fit(c.title, LIMITS.buttonTitle) } }));
    return { type: 'interactive', interactive: { type: 'button', ...header, body: { text: body }, action: { buttons } } };
  }
  if (message.imageUrl) return 'a WhatsApp list (more than 3 options) cannot carry an image';
  const rows = choices.map((c) => ({ id: c.id, title: fit(c.title, LIMITS.rowTitle) }));
  return { type: 'interactive', interactive: { type: 'list', body: { text: body }, action: { button: 'Choose', sections: [{ rows }] } } };
}

/**
 * The file kinds this channel sends so far: a photo by URL, as an image. Anything else is refused
 * with the reason (the recipient fails with it), never sent without its file.
 */
export function whatsappMedia(message: RenderedMessage): RenderedMessage | string {
  if (message.invoice) return 'payments are Telegram only: WhatsApp takes no invoice';
  if (message.album) return 'WhatsApp has no albums: send the items as messages of their own';
  if (message.location) return 'the WhatsApp channel does not send locations yet';
  const media = message.media;
  if (!media) return message;
  if (media.kind !== 'photo') return `the WhatsApp channel does not send a ${media.kind} yet (only a photo by URL)`;
  if (!('url' in media.source)) return 'WhatsApp takes a photo by URL only (a Telegram file id or an uploaded file is not sent there)';
  return { ...message, media: undefined, imageUrl: media.source.url };
}

/** The free-form message (inside the window), or why it cannot be sent on WhatsApp. */
export function freeFormPayload(message: RenderedMessage): Payload | string {
  const body = bodyText(message);
  const choices = choicesOf(message);
  if (choices.length > 0) return interactive(message, body, choices);
  if (message.imageUrl) return { type: 'image', image: { link: message.imageUrl, ...(body ? { caption: fit(body, LIMITS.interactiveBody) } : {}) } };
  if ([...body].length > LIMITS.text) return `a WhatsApp text has at most ${LIMITS.text} characters`;
  return { type: 'text', text: { body, preview_url: true } };
}

/** The fallback template; its one body parameter, when it has one, is the text on one line (WhatsApp refuses newlines there). */
export function templatePayload(template: WhatsappTemplate, message: RenderedMessage): Payload {
  const text = fit(bodyText(message).replace(/\s+/g, ' ').trim(), LIMITS.interactiveBody);
  const components = template.textParameter ? { components: [{ type: 'body', parameters: [{ type: 'text', text }] }] } : {};
  return { type: 'template', template: { name: template.name, language: { code: template.language }, ...components } };
}
