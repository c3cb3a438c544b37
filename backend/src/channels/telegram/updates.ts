import type { Update, User } from 'grammy/types';
import type { z } from 'zod';
import type { inboundUpdateSchema, Profile } from '../inbound-update';

export type InboundInput = z.input<typeof inboundUpdateSchema>;

function profileOf(user: User | undefined): Profile {
  if (!user) return {};
  return {
    firstName: user.first_name,
    ...(user.last_name ? { lastName: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
    ...(user.language_code ? { language: user.language_code } : {}),
  };
}

interface Common {
  botId: number;
  channel: 'telegram';
  updateId: string;
  chatId: string;
  profile: Profile;
}

/** Telegram gives the person's own number in international form, often without its "+". */
function internationalPhone(phone: string): string {
  const trimmed = phone.trim();
  return trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
}

function fromMessage(message: NonNullable<Update['message']>, base: Common): InboundInput {
  const paid = message.successful_payment;
  if (paid) {
    return {
      ...base,
      kind: 'payment',
      payload: paid.invoice_payload.slice(0, 128),
      currency: paid.currency,
      totalAmount: paid.total_amount,
      telegramPaymentChargeId: paid.telegram_payment_charge_id,
      ...(paid.provider_payment_charge_id ? { providerPaymentChargeId: paid.provider_payment_charge_id } : {}),
    };
  }
  const text = message.text;
  const start = text === undefined ? null : /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/.exec(text);
  if (start) return { ...base, kind: 'start', ...(start[1] ? { payload: start[1].slice(0, 512) } : {}) };
  if (message.contact) return { ...base, kind: 'contact', phone: internationalPhone(message.contact.phone_number), isOwn: message.contact.user_id !== undefined && message.contact.user_id === message.from?.id };
  if (text !== undefined) return { ...base, kind: 'message', text: text.slice(0, 10_000) };
  if (message.photo?.length) return { ...base, kind: 'message', media: { type: 'photo', fileId: message.photo[message.photo.length - 1].file_id, caption: message.caption } };
  const file = message.document ? ['document', message.document] as const : message.voice ? ['voice', message.voice] as const : message.video ? ['video', message.video] as const : message.audio ? ['audio', message.audio] as const : undefined;
  if (file) {
    const [type, f] = file;
    const named = 'file_name' in f && f.file_name ? { fileName: f.file_name.slice(0, 255) } : {};
    const details = { ...named, ...(f.mime_type ? { mimeType: f.mime_type.slice(0, 255) } : {}), ...(f.file_size ? { fileSize: f.file_size } : {}) };
    return { ...base, kind: 'message', media: { type, fileId: f.file_id, ...details, caption: message.caption } };
  }
  if (message.location) return { ...base, kind: 'message', media: { type: 'location', latitude: message.location.latitude, longitude: message.location.longitude } };
  return { ...base, kind: 'message', media: { type: 'other' } };
}

/**
 * A Telegram update in the backend's channel-neutral shape, or undefined for updates the product
 * does not use (edits, channel posts, group membership of others, ...).
 */
export function toInboundUpdate(botId: number, update: Update): InboundInput | undefined {
  const base = { botId, channel: 'telegram' as const, updateId: String(update.update_id) };
  if (update.message) {
    return fromMessage(update.message, { ...base, chatId: String(update.message.chat.id), profile: profileOf(update.message.from) });
  }
  const query = update.callback_query;
  if (query?.data !== undefined) {
    return {
      ...base,
      kind: 'button',
      data: query.data.slice(0, 256),
      callbackId: query.id,
      ...(query.message ? { messageRef: String(query.message.message_id) } : {}),
      chatId: String(query.message?.chat.id ?? query.from.id),
      profile: profileOf(query.from),
    };
  }
  const checkout = update.pre_checkout_query;
  if (checkout) {
    // `approved` is the channel's answer, filled in by handleTelegramUpdate before the update is recorded.
    return { ...base, kind: 'pre_checkout', queryId: checkout.id, payload: checkout.invoice_payload.slice(0, 128), currency: checkout.currency, totalAmount: checkout.total_amount, approved: false, chatId: String(checkout.from.id), profile: profileOf(checkout.from) };
  }
  const member = update.my_chat_member;
  if (member && member.chat.type === 'private') {
    const now = member.new_chat_member.status;
    const before = member.old_chat_member.status;
    const chat = { chatId: String(member.chat.id), profile: profileOf(member.from) };
    if (now === 'kicked') return { ...base, ...chat, kind: 'bot_blocked' };
    if (before === 'kicked' && now === 'member') return { ...base, ...chat, kind: 'bot_unblocked' };
  }
  return undefined;
}
