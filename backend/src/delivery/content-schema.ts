import { z } from 'zod';
import { MESSAGE_LIMITS } from './message-limits';

/** The parts of a message that are templates, shared by a send and a library template. */
export const buttonSchema = z
  .object({
    text: z.string().min(1).max(200),
    data: z.string().min(1).refine((d) => Buffer.byteLength(d) <= MESSAGE_LIMITS.callbackDataBytes, `at most ${MESSAGE_LIMITS.callbackDataBytes} bytes (Telegram callback_data)`).optional(),
    url: z.url().optional(),
  })
  .refine((b) => !(b.data && b.url), 'a button has either data or url, not both');

export const buttonsSchema = z
  .array(z.array(buttonSchema).min(1).max(MESSAGE_LIMITS.buttonsPerRow, `a row has at most ${MESSAGE_LIMITS.buttonsPerRow} buttons (Telegram)`))
  .max(MESSAGE_LIMITS.buttonsInAll)
  .refine((rows) => rows.flat().length <= MESSAGE_LIMITS.buttonsInAll, `a message has at most ${MESSAGE_LIMITS.buttonsInAll} buttons in all (Telegram)`);

/** Lower case, as Telegram sends `language_code` (`en`, `pt-br`). */
export const languageTagSchema = z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/, 'a lower-case language tag such as en, ru or pt-br');

export const variantsSchema = z
  .record(languageTagSchema, z.object({ text: z.string().min(1).max(MESSAGE_LIMITS.templateSource), buttons: buttonsSchema.optional() }))
  .refine((v) => Object.keys(v).length <= 50, 'at most 50 languages')
  .meta({ description: 'Text (and optionally buttons) per language; a person whose language has no variant gets the default text.' });

export const parseModeSchema = z.enum(['HTML', 'MarkdownV2']);

/** What a library template holds: what a send would otherwise give as text, parse mode, buttons and variants. */
export const templateContentSchema = z
  .object({
    text: z.string().min(1).max(MESSAGE_LIMITS.templateSource).meta({ description: 'A template; what counts against Telegram\'s 4096 (or 1024 for a caption) is the text rendered for each person, checked when a send is accepted' }),
    parseMode: parseModeSchema.optional(),
    buttons: buttonsSchema.optional(),
    variants: variantsSchema.optional(),
  })
  .meta({ id: 'MessageTemplateContent' });
export type TemplateContent = z.output<typeof templateContentSchema>;

/** A library template's name: what a workflow refers to, so kept to characters that read well in a URL. */
export const templateNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, ".", "_" and "-", at most 100');
