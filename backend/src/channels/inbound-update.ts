import { z } from 'zod';

/** The channels the backend delivers to. A new channel adds its name here and a folder beside this file. */
export const channelNameSchema = z.enum(['telegram', 'webchat', 'whatsapp', 'vk']);
export type ChannelName = z.infer<typeof channelNameSchema>;

export const profileSchema = z.object({
  firstName: z.string().max(200).optional(),
  lastName: z.string().max(200).optional(),
  username: z.string().max(200).optional(),
  language: z.string().max(16).optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/**
 * What a channel hands to the backend when a person does something: one shape for every channel,
 * validated at the channel boundary. `handleInbound` (backend/src/inbound) turns it into identity
 * changes and events.
 */
export const inboundUpdateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), text: z.string().max(10_000).optional(), media: z.object({ type: z.enum(['photo', 'document', 'voice', 'video', 'audio', 'location', 'other']), fileId: z.string().optional(), fileName: z.string().max(255).optional(), mimeType: z.string().max(255).optional(), fileSize: z.number().int().optional(), latitude: z.number().optional(), longitude: z.number().optional(), caption: z.string().optional() }).optional() }),
  z.object({ kind: z.literal('start'), payload: z.string().max(512).optional() }),
  z.object({ kind: z.literal('button'), data: z.string().max(256), callbackId: z.string().optional(), messageRef: z.string().optional() }),
  // verified: the channel vouches the number is the person's (Telegram's own contact); a web-chat visitor only types it.
  z.object({ kind: z.literal('contact'), phone: z.string().max(64), isOwn: z.boolean(), verified: z.boolean().default(true) }),
  // Telegram payments: the pre-checkout query (answered by the channel within 10 s) and the successful payment.
  // approved: the rule's answer, already sent; null when the workflow decides (awaitWorkflow: for how long, and the default).
  z.object({
    kind: z.literal('pre_checkout'),
    queryId: z.string().max(256),
    payload: z.string().max(128),
    currency: z.string().max(8),
    totalAmount: z.number().int(),
    approved: z.boolean().nullable(),
    awaitWorkflow: z.object({ timeoutMs: z.number().int().min(1).max(30_000), fallback: z.object({ ok: z.boolean(), errorMessage: z.string().max(255).optional() }) }).optional(),
  }),
  z.object({ kind: z.literal('payment'), payload: z.string().max(128), currency: z.string().max(8), totalAmount: z.number().int(), telegramPaymentChargeId: z.string().max(256), providerPaymentChargeId: z.string().max(256).optional() }),
  z.object({ kind: z.literal('bot_blocked') }),
  z.object({ kind: z.literal('bot_unblocked') }),
]).and(
  z.object({
    botId: z.number().int().positive(),
    channel: channelNameSchema,
    chatId: z.string().min(1).max(100),
    /** The channel's own id of this update, used to drop a redelivered update. */
    updateId: z.string().max(100).optional(),
    profile: profileSchema.default({}),
    /** The number the person writes from, vouched for by the channel (WhatsApp's wa_id): stored without a contact button. */
    senderPhone: z.string().max(64).optional(),
  }),
);
export type InboundUpdate = z.infer<typeof inboundUpdateSchema>;

/** What the backend may answer at once in the chat (identity flows: "this link has expired", ...). */
export interface ImmediateReply {
  text: string;
  /** Ask for the user's contact with a one-button reply keyboard. */
  requestContact?: { buttonText: string };
  removeKeyboard?: boolean;
}
