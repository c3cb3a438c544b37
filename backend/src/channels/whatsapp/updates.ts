import { z } from 'zod';
import type { inboundUpdateSchema } from '../inbound-update';
import { QUICK_REPLY_PREFIX } from './payloads';

/**
 * The `messages` webhook of the Cloud API (developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components):
 * what the backend reads of it. Unknown fields and message types pass; a payload without this
 * envelope is refused.
 */

const messageSchema = z.looseObject({
  from: z.string().regex(/^\d{5,32}$/),
  id: z.string().min(1).max(100),
  type: z.string(),
  context: z.looseObject({ id: z.string().max(100).optional() }).optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  interactive: z
    .looseObject({
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  // A tap on a template's quick-reply button.
  button: z.looseObject({ payload: z.string(), text: z.string() }).optional(),
  contacts: z.array(z.looseObject({ phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional() })).optional() })).optional(),
  image: z.looseObject({ id: z.string(), caption: z.string().optional() }).optional(),
  document: z.looseObject({ id: z.string(), caption: z.string().optional() }).optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number() }).optional(),
});
export type WhatsappMessage = z.infer<typeof messageSchema>;

const statusSchema = z.looseObject({
  id: z.string().min(1).max(100),
  status: z.string(),
  timestamp: z.coerce.number(),
  recipient_id: z.string().optional(),
  errors: z.array(z.looseObject({ code: z.number(), title: z.string().optional(), error_data: z.looseObject({ details: z.string().optional() }).optional() })).optional(),
});
export type WhatsappStatus = z.infer<typeof statusSchema>;

const valueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string() }),
  contacts: z.array(z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string().optional() }).optional() })).default([]),
  messages: z.array(messageSchema).default([]),
  statuses: z.array(statusSchema).default([]),
});
export type WhatsappChange = z.infer<typeof valueSchema>;

export const webhookSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.object({ changes: z.array(z.object({ field: z.string(), value: z.unknown() })) })),
});

/** The `messages` changes of a webhook for this number; other fields (templates, quality, …) are not used. */
export function changesFor(webhook: z.infer<typeof webhookSchema>, phoneNumberId: string): WhatsappChange[] {
  return webhook.entry
    .flatMap((entry) => entry.changes)
    .filter((change) => change.field === 'messages')
    .map((change) => valueSchema.parse(change.value))
    .filter((value) => value.metadata.phone_number_id === phoneNumberId);
}

type InboundInput = z.input<typeof inboundUpdateSchema>;
/** What one kind of update carries beyond the fields every update has. */
type Kind = InboundInput extends infer U ? (U extends unknown ? Omit<U, 'botId' | 'channel' | 'chatId' | 'updateId' | 'profile' | 'senderPhone'> : never) : never;

function tapOf(message: WhatsappMessage): Kind | undefined {
  const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
  const messageRef = message.context?.id ? { messageRef: message.context.id } : {};
  if (reply?.id.startsWith(QUICK_REPLY_PREFIX)) return { kind: 'message', text: reply.id.slice(QUICK_REPLY_PREFIX.length) };
  if (reply) return { kind: 'button', data: reply.id.slice(0, 256), ...messageRef };
  if (message.button) return { kind: 'button', data: message.button.payload.slice(0, 256), ...messageRef };
  return undefined;
}

function textOf(body: string): Kind {
  // A wa.me link can prefill "/start <token>": the same deep-link flow as Telegram's /start.
  const start = /^\/start(?:\s+(\S+))?\s*$/.exec(body);
  if (start) return { kind: 'start', ...(start[1] ? { payload: start[1].slice(0, 512) } : {}) };
  return { kind: 'message', text: body.slice(0, 10_000) };
}

/** A shared contact card is the person's own when one of its numbers is the WhatsApp account writing. */
function contactOf(message: WhatsappMessage): Kind | undefined {
  const phones = (message.contacts ?? []).flatMap((c) => c.phones ?? []);
  const own = phones.find((p) => p.wa_id === message.from);
  if (own) return { kind: 'contact', phone: `+${message.from}`, isOwn: true, verified: true };
  const first = phones.find((p) => p.phone);
  return first?.phone ? { kind: 'contact', phone: first.phone, isOwn: false, verified: false } : undefined;
}

function kindOf(message: WhatsappMessage): Kind {
  if (message.text) return textOf(message.text.body);
  const tap = tapOf(message) ?? (message.type === 'contacts' ? contactOf(message) : undefined);
  if (tap) return tap;
  if (message.image) return { kind: 'message', media: { type: 'photo', fileId: message.image.id, caption: message.image.caption } };
  if (message.document) return { kind: 'message', media: { type: 'document', fileId: message.document.id, caption: message.document.caption } };
  if (message.location) return { kind: 'message', media: { type: 'location', latitude: message.location.latitude, longitude: message.location.longitude } };
  return { kind: 'message', media: { type: 'other' } };
}

/** One WhatsApp message in the channel-neutral shape; the message id drops a redelivery, the wa_id is the person's phone. */
export function toInboundUpdate(botId: number, message: WhatsappMessage, change: WhatsappChange): InboundInput {
  const name = change.contacts.find((c) => c.wa_id === message.from)?.profile?.name;
  return {
    ...kindOf(message),
    botId,
    channel: 'whatsapp',
    chatId: message.from,
    updateId: message.id,
    profile: name ? { firstName: name.slice(0, 200) } : {},
    senderPhone: `+${message.from}`,
  };
}
