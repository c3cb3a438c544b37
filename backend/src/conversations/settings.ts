import type { Knex } from 'knex';
import { z } from 'zod';
import type { Bot } from '../bots/bots';
import { languageTagSchema } from '../delivery/content-schema';
import { fromJson } from '../platform/db/database';

/** A text the person reads: one for everyone, or one per language with an optional `default` (delivery picks the person's). */
const personTextSchema = z.union([
  z.string().trim().min(1).max(1000),
  z.record(z.union([z.literal('default'), languageTagSchema]), z.string().trim().min(1).max(1000)),
]);
export type PersonText = z.output<typeof personTextSchema>;

export const conversationSettingsSchema = z
  .object({
    handoverKeyword: z.string().trim().min(1).max(64).default('operator').meta({ description: 'What a person writes (the whole message, any case) to ask for a human' }),
    handoverReply: z.string().trim().min(1).max(1000).default('An operator will answer you here soon.').meta({ description: 'Told to the person at once when they ask for a human' }),
    operatorTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(10_080)
      .optional()
      .meta({ description: 'A conversation waiting for an operator, or assigned and not yet answered, this long times out (unset: never)' }),
    onTimeout: z.enum(['notify', 'return']).default('notify').meta({ description: 'notify: tell the person and keep waiting; return: tell the person and give the conversation back to the bot' }),
    timeoutNotice: personTextSchema
      .default('Sorry, our operators are busy right now. We have not forgotten you.')
      .meta({ description: 'Told to the person when the conversation times out; a string, or one per language such as {"default": "…", "ru": "…"}' }),
    csat: z.boolean().default(true).meta({ description: 'Ask the person to rate a conversation an operator had, once it is closed' }),
    csatQuestion: personTextSchema
      .default('How did we do? Please rate this conversation from 1 (bad) to 5 (great).')
      .meta({ description: 'The rating question (buttons 1 to 5); a string, or one per language' }),
  })
  .meta({ id: 'ConversationSettings' });
export type ConversationSettings = z.output<typeof conversationSettingsSchema>;

function parseSettings(section: unknown): ConversationSettings {
  const parsed = conversationSettingsSchema.safeParse(section ?? {});
  return parsed.success ? parsed.data : conversationSettingsSchema.parse({});
}

export function conversationSettings(bot: Pick<Bot, 'settings'>): ConversationSettings {
  return parseSettings(bot.settings.conversations);
}

/** The settings as the transaction sees them (a transition reads them only when it starts an operator's wait). */
export async function conversationSettingsOf(trx: Knex, botId: number): Promise<ConversationSettings> {
  const row: { settings: string } | undefined = await trx('bots').where({ id: botId }).first('settings');
  return parseSettings(row ? fromJson<Record<string, unknown>>(row.settings).conversations : undefined);
}

/** The default text and the per-language variants of a person's text. */
export function textAndVariants(text: PersonText): { text: string; variants: Record<string, string> } {
  if (typeof text === 'string') return { text, variants: {} };
  const { default: fallback, ...variants } = text;
  return { text: fallback ?? Object.values(variants)[0] ?? '', variants };
}
