import { GrammyError } from 'grammy';
import { z } from 'zod';
import type { Bot } from '../../bots/bots';
import type { AppContext } from '../../platform/context';
import { DomainError, invalid } from '../../platform/errors';
import { ApiError } from '../../platform/http/errors';
import { telegramApi } from './telegram-channel';
import { describeTelegramError } from './telegram-wire';

const operatorSchema = z
  .object({
    telegramUserId: z.number().int().positive().meta({ description: 'The operator\'s Telegram user id: only these users act as operators in the group' }),
    name: z.string().trim().min(1).max(254).meta({ description: 'The operator as conversations name them (e.g. the console user\'s email)' }),
  })
  .meta({ id: 'StaffGroupOperator' });

export const staffGroupSettingsSchema = z
  .object({
    chatId: z
      .union([z.string(), z.number().int()])
      .transform(String)
      .pipe(z.string().regex(/^-100\d{5,13}$/, 'a supergroup chat id such as -1001234567890'))
      .meta({ description: 'The staff group: a supergroup with topics where the bot is an administrator that can manage topics' }),
    operators: z
      .array(operatorSchema)
      .max(200)
      .refine((list) => new Set(list.map((o) => o.telegramUserId)).size === list.length, 'each telegramUserId once')
      .default([]),
  })
  .meta({ id: 'StaffGroupSettings' });
export type StaffGroupSettings = z.output<typeof staffGroupSettingsSchema>;

/** The bot's staff group, or undefined when it has none (or its stored settings no longer parse). */
export function staffGroupOf(bot: Pick<Bot, 'settings'>): StaffGroupSettings | undefined {
  const stored = bot.settings.staffGroup;
  if (!stored) return undefined;
  const parsed = staffGroupSettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : undefined;
}

/** The operator name of a Telegram user of the staff group; undefined for anyone not listed. */
export function operatorOf(settings: StaffGroupSettings, telegramUserId: number | undefined): string | undefined {
  return settings.operators.find((o) => o.telegramUserId === telegramUserId)?.name;
}

const refuse = (message: string) => invalid('This chat cannot be the staff group', [{ path: 'chatId', message }]);

/**
 * Asks Telegram, with the bot's token, whether the chat can be the staff group: a supergroup with
 * topics turned on, where the bot is an administrator with the right to manage topics. Telegram's
 * refusal or a chat that does not qualify is 422; an unreachable Telegram is 502.
 */
export async function checkStaffGroup(ctx: AppContext, token: string, chatId: string): Promise<void> {
  const api = telegramApi(ctx, token);
  try {
    const chat = await api.getChat(chatId);
    if (chat.type !== 'supergroup') throw refuse(`the chat is a ${chat.type}, not a supergroup`);
    if (!chat.is_forum) throw refuse('the supergroup has no topics: turn on Topics in the group settings');
    const me = await api.getMe();
    const member = await api.getChatMember(chatId, me.id);
    if (member.status === 'creator') return;
    if (member.status !== 'administrator') throw refuse(`the bot is ${member.status} there: make it an administrator with the right to manage topics`);
    if (!member.can_manage_topics) throw refuse('the bot is an administrator without the right to manage topics');
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (error instanceof GrammyError) throw refuse(`Telegram answered ${error.error_code} ${error.description} (is the bot in that group?)`);
    ctx.logger.warn({ error: describeTelegramError(error) }, 'Telegram could not be reached to check the staff group');
    throw new ApiError(502, 'Telegram could not be reached to check the staff group; try again');
  }
}
