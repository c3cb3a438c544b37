import type { Knex } from 'knex';
import { z } from 'zod';
import { updateBotSettingsSection } from '../../bots/bots';
import type { AppContext } from '../../platform/context';
import { conflict } from '../../platform/errors';
import { decryptSecret, encryptSecret, secretKey } from '../../platform/secrets/secret-box';

/** An approved message template, sent instead of a free-form message outside the 24-hour window. */
export const whatsappTemplateSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'the approved template name: lower-case letters, digits and _'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'the template language code, e.g. en_US'),
    /** The template's body has one parameter ({{1}}): the rendered text goes there. */
    textParameter: z.boolean().default(false),
  })
  .meta({ id: 'WhatsappTemplate' });
export type WhatsappTemplate = z.output<typeof whatsappTemplateSchema>;

/** What Meta's app dashboard gives for one phone number, checked for shape before anything is stored. */
export const whatsappCredentialsSchema = z.object({
  phoneNumberId: z.string().trim().regex(/^\d{5,32}$/, 'the phone number id (digits) from WhatsApp → API Setup, not the phone number'),
  accessToken: z.string().trim().regex(/^[A-Za-z0-9_.|-]{20,2048}$/, 'a system-user or temporary access token (EAA…)'),
  appSecret: z.string().trim().regex(/^[0-9a-f]{32}$/, 'the app secret: 32 hex characters (App settings → Basic)'),
  verifyToken: z.string().min(8).max(200),
});
export type WhatsappCredentials = z.output<typeof whatsappCredentialsSchema>;

export interface WhatsappAccount extends WhatsappCredentials {
  botId: number;
  fallbackTemplate: WhatsappTemplate | null;
  updatedAt: number;
}

interface WhatsappBotRow {
  bot_id: number;
  phone_number_id: string;
  credentials_encrypted: string;
  fallback_template: string | null;
  updated_at: number;
}

const sealedSchema = whatsappCredentialsSchema.omit({ phoneNumberId: true });

/** Stores (or replaces) a bot's number, credentials (encrypted) and fallback template. 409 when another bot has the number. */
export async function setWhatsappAccount(ctx: AppContext, botId: number, credentials: WhatsappCredentials, fallbackTemplate: WhatsappTemplate | null): Promise<void> {
  const { phoneNumberId, ...secrets } = whatsappCredentialsSchema.parse(credentials);
  const owner = (await ctx.db('whatsapp_bots').where({ phone_number_id: phoneNumberId }).first('bot_id')) as { bot_id: number } | undefined;
  if (owner && owner.bot_id !== botId) throw conflict('This phone number id is connected to another bot');
  const row: WhatsappBotRow = {
    bot_id: botId,
    phone_number_id: phoneNumberId,
    credentials_encrypted: encryptSecret(secretKey(ctx), JSON.stringify(secrets)),
    fallback_template: fallbackTemplate ? JSON.stringify(whatsappTemplateSchema.parse(fallbackTemplate)) : null,
    updated_at: ctx.clock.now(),
  };
  await ctx.db('whatsapp_bots').insert(row).onConflict('bot_id').merge(['phone_number_id', 'credentials_encrypted', 'fallback_template', 'updated_at']);
}

/** The number people see (+7 918 …), as digits: wa.me links are built from it. */
export const displayPhoneSchema = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ()-]{4,30}$/, 'the phone number people write to, e.g. +7 918 123-45-67')
  .transform((phone) => phone.replace(/\D/g, ''));

/**
 * The displayed number, in the bot's settings beside Telegram's username and VK's short name: link
 * tokens then come with a wa.me link whose prefilled text redeems them. Not secret, so not sealed.
 */
export async function rememberDisplayPhone(ctx: AppContext, botId: number, displayPhone: string | null): Promise<void> {
  await updateBotSettingsSection(ctx, botId, 'whatsapp', ({ displayPhone: _, ...whatsapp }) => (displayPhone ? { ...whatsapp, displayPhone } : whatsapp));
}

/** False when the bot had no number. The displayed number goes too. */
export async function forgetWhatsappAccount(ctx: AppContext, botId: number): Promise<boolean> {
  if ((await ctx.db('whatsapp_bots').where({ bot_id: botId }).delete()) === 0) return false;
  await rememberDisplayPhone(ctx, botId, null);
  return true;
}

export async function getWhatsappAccount(ctx: AppContext, botId: number): Promise<WhatsappAccount | undefined> {
  const row = (await ctx.db('whatsapp_bots').where({ bot_id: botId }).first()) as WhatsappBotRow | undefined;
  if (!row) return undefined;
  const secrets = sealedSchema.parse(JSON.parse(decryptSecret(secretKey(ctx), row.credentials_encrypted)));
  return {
    botId: row.bot_id,
    phoneNumberId: row.phone_number_id,
    ...secrets,
    fallbackTemplate: row.fallback_template === null ? null : whatsappTemplateSchema.parse(JSON.parse(row.fallback_template)),
    updatedAt: Number(row.updated_at),
  };
}

/** The customer-service window opens when the person writes: their last inbound message is remembered per chat. */
export async function recordInbound(db: Knex, botId: number, waId: string, at: number): Promise<void> {
  await db('whatsapp_windows').insert({ bot_id: botId, wa_id: waId, last_inbound_at: at }).onConflict(['bot_id', 'wa_id']).merge(['last_inbound_at']);
}

export async function lastInboundAt(db: Knex, botId: number, waId: string): Promise<number | undefined> {
  const row = (await db('whatsapp_windows').where({ bot_id: botId, wa_id: waId }).first('last_inbound_at')) as { last_inbound_at: number | string } | undefined;
  return row ? Number(row.last_inbound_at) : undefined;
}
