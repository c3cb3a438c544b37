import { z } from 'zod';
import type { inboundUpdateSchema } from '../inbound-update';

/**
 * The community events the backend reads (dev.vk.com/ru/api/community-events/json-schema), as the
 * Callback API posts them and Bots Long Poll returns them: `{type, object, group_id, event_id, v}`.
 * `event_id` is unique per event, and a repeated one is to be ignored (VK's schema, callback_base):
 * it is the inbound pipeline's update id.
 */

export const vkEventSchema = z.looseObject({
  type: z.string().max(64),
  group_id: z.coerce.number(),
  event_id: z.string().min(1).max(90).optional(),
  object: z.unknown().optional(),
  secret: z.string().optional(),
});
export type VkEvent = z.infer<typeof vkEventSchema>;

const messageSchema = z.looseObject({
  from_id: z.number(),
  peer_id: z.number(),
  text: z.string().default(''),
  payload: z.string().optional(),
  ref: z.string().max(512).optional(),
  ref_source: z.string().max(512).optional(),
  conversation_message_id: z.number().optional(),
  attachments: z.array(z.looseObject({ type: z.string() })).default([]),
  geo: z.looseObject({ coordinates: z.looseObject({ latitude: z.number(), longitude: z.number() }) }).optional(),
});
const messageNewSchema = z.looseObject({ message: messageSchema, client_info: z.looseObject({ lang_id: z.number().optional() }).optional() });
const messageEventSchema = z.looseObject({
  user_id: z.number(),
  peer_id: z.number(),
  event_id: z.string().min(1).max(100),
  // VK's schema says string; clients send the parsed JSON object.
  payload: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  conversation_message_id: z.number().optional(),
});
const permissionSchema = z.looseObject({ user_id: z.number() });

type InboundInput = z.input<typeof inboundUpdateSchema>;
type Kind = InboundInput extends infer U ? (U extends unknown ? Omit<U, 'botId' | 'channel' | 'chatId' | 'updateId' | 'profile' | 'senderPhone'> : never) : never;

/** A tap on a callback button: its `message_event` and what the backend answers it with (messages.sendMessageEventAnswer). */
export interface VkButtonEvent {
  eventId: string;
  userId: number;
  peerId: number;
}

/** One VK event in the channel-neutral shape: zero, one or two updates (a deep link's ref, then the text), and a tap to answer. */
export interface VkInbound {
  updates: InboundInput[];
  button?: VkButtonEvent;
}

/** VK's client language ids (lang_id) for the languages templates most often carry variants of. */
const LANGUAGES: Record<number, string> = { 0: 'ru', 1: 'uk', 2: 'be', 3: 'en', 4: 'es', 5: 'fi', 6: 'de', 7: 'it' };

function payloadOf(raw: unknown): Record<string, unknown> | undefined {
  if (typeof raw === 'object' && raw !== null) return raw as Record<string, unknown>;
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** VK's "Start" button (the first message of a dialog) sends `{"command":"start"}`. */
const isStartButton = (payload: Record<string, unknown> | undefined) => payload?.command === 'start';

function mediaOf(message: z.infer<typeof messageSchema>): Kind {
  if (message.geo) return { kind: 'message', media: { type: 'location', latitude: message.geo.coordinates.latitude, longitude: message.geo.coordinates.longitude } };
  const type = message.attachments[0]?.type;
  const media = type === 'photo' ? 'photo' : type === 'doc' ? 'document' : 'other';
  return { kind: 'message', media: { type: media, ...(message.text ? { caption: message.text } : {}) } };
}

type Base = Omit<InboundInput, 'kind' | 'chatId'>;

function contentOf(message: z.infer<typeof messageSchema>): Kind {
  if (message.attachments.length || message.geo) return mediaOf(message);
  const typed = /^\/start(?:\s+(\S+))?\s*$/.exec(message.text);
  if (typed) return { kind: 'start', ...(typed[1] ? { payload: typed[1].slice(0, 512) } : {}) };
  return { kind: 'message', text: message.text.slice(0, 10_000) };
}

function fromMessage(object: unknown, base: Base): InboundInput[] {
  const { message, client_info } = messageNewSchema.parse(object);
  const language = LANGUAGES[client_info?.lang_id ?? -1];
  const common = { ...base, chatId: String(message.peer_id), profile: language ? { language } : {} };
  const startButton = isStartButton(payloadOf(message.payload));
  const updates: InboundInput[] = [];
  // vk.me/<community>?ref=<token>: the first message after the link carries the ref — the same deep-link flow as Telegram's /start <token>.
  if (message.ref) updates.push({ ...common, ...(base.updateId ? { updateId: `${base.updateId}:ref` } : {}), kind: 'start', payload: message.ref.slice(0, 512) });
  else if (startButton) updates.push({ ...common, kind: 'start' });
  // The "Start" button's own text is not something the person wrote.
  if (!startButton && (message.text || message.attachments.length || message.geo)) updates.push({ ...common, ...contentOf(message) });
  return updates;
}

function fromButton(object: unknown, base: Base): VkInbound {
  const event = messageEventSchema.parse(object);
  const payload = payloadOf(event.payload);
  const data = typeof payload?.d === 'string' ? payload.d : JSON.stringify(event.payload ?? '');
  const update: InboundInput = {
    ...base,
    chatId: String(event.peer_id),
    kind: 'button',
    data: data.slice(0, 256),
    callbackId: event.event_id,
    ...(event.conversation_message_id !== undefined ? { messageRef: String(event.conversation_message_id) } : {}),
  };
  return { updates: [update], button: { eventId: event.event_id, userId: event.user_id, peerId: event.peer_id } };
}

/**
 * message_new (texts, taps on text buttons, deep links, media), message_event (callback buttons),
 * message_allow / message_deny (the person allowed or forbade the community's messages: reachable
 * again, or blocked). Other events are not used.
 */
export function toInbound(botId: number, event: VkEvent): VkInbound {
  const base = { botId, channel: 'vk' as const, ...(event.event_id ? { updateId: event.event_id } : {}), profile: {} };
  switch (event.type) {
    case 'message_new':
      return { updates: fromMessage(event.object, base) };
    case 'message_event':
      return fromButton(event.object, base);
    case 'message_allow':
      return { updates: [{ ...base, chatId: String(permissionSchema.parse(event.object).user_id), kind: 'bot_unblocked' }] };
    case 'message_deny':
      return { updates: [{ ...base, chatId: String(permissionSchema.parse(event.object).user_id), kind: 'bot_blocked' }] };
    default:
      return { updates: [] };
  }
}
