import type { Command } from 'commander';
import { updateBotSettings } from '../bots/bots';
import { setStaffGroup } from '../channels/telegram/staff-group-routes';
import { staffGroupSettingsSchema } from '../channels/telegram/staff-group-settings';
import { invalid, parseInput } from '../platform/errors';
import { print, requireBot, withContext } from './command-context';

/** `123456789=ann@example.com`: an operator's Telegram user id and the name conversations use for them. */
function operatorOption(value: string, list: Array<{ telegramUserId: number; name: string }> = []) {
  const match = /^(\d+)=(.+)$/.exec(value.trim());
  if (!match) throw invalid('Invalid --operator', [{ path: 'operator', message: 'write it as <telegram user id>=<name>, e.g. 123456789=ann@example.com' }]);
  return [...list, { telegramUserId: Number(match[1]), name: match[2] }];
}

/** `bot set-staff-group`: the same check and storage as `PUT …/telegram/staff-group`, or `--off`. */
export function addSetStaffGroup(bot: Command): void {
  bot
    .command('set-staff-group')
    .argument('<botId>')
    .option('--chat-id <id>', 'the staff group: a supergroup with topics where the bot is an administrator that can manage topics (e.g. -1001234567890)')
    .option('--operator <telegramUserId=name>', 'a Telegram user who acts as an operator there, and their operator name; repeat for each', operatorOption)
    .option('--off', 'stop using a staff group')
    .action((botId: string, opts: { chatId?: string; operator?: Array<{ telegramUserId: number; name: string }>; off?: boolean }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        if (opts.off) return print((await updateBotSettings(ctx, target.id, { staffGroup: null })).settings.staffGroup ?? null);
        const settings = parseInput(staffGroupSettingsSchema, { chatId: opts.chatId, operators: opts.operator ?? [] }, 'staff group');
        print(await setStaffGroup(ctx, target.id, settings));
      }),
    );
}
