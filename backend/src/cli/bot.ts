import type { Command } from 'commander';
import { z } from 'zod';
import { createBot, listBots, updateBotSettings } from '../bots/bots';
import { setTelegramToken, telegramTokenSchema } from '../channels/telegram/telegram-store';
import { setVkAccount } from '../channels/vk/vk-store';
import { webchatSettingsSchema } from '../channels/webchat/settings';
import { displayPhoneSchema, rememberDisplayPhone, setWhatsappAccount, whatsappTemplateSchema } from '../channels/whatsapp/whatsapp-store';
import { deliverySettings, deliverySettingsSchema } from '../delivery/rate';
import { phoneCountrySchema } from '../platform/config/phone-country';
import { print, requireBot, withContext } from './command-context';
import { addSetStaffGroup } from './staff-group';

export function registerBotCommands(program: Command): void {
  const bot = program.command('bot').description('Manage bots');
  addCreate(bot);
  addSetTelegramToken(bot);
  addSetWhatsapp(bot);
  addSetVk(bot);
  addSetDelivery(bot);
  addSetWebchat(bot);
  addSetPhoneCountry(bot);
  addSetStaffGroup(bot);
  bot.command('list').action(() => withContext(async (ctx) => print(await listBots(ctx))));
  bot
    .command('show')
    .argument('<botId>')
    .action((botId: string) => withContext(async (ctx) => print(await requireBot(ctx, botId))));
}

function addCreate(bot: Command): void {
  bot
    .command('create')
    .requiredOption('--name <name>', 'bot name')
    .option('--timezone <zone>', 'IANA time zone for data-table windows', 'UTC')
    .option('--telegram-token <token>', 'the bot token from @BotFather (stored encrypted)')
    .action((opts: { name: string; timezone: string; telegramToken?: string }) =>
      withContext(async (ctx) => {
        // Checked before the bot exists, so a malformed token leaves no bot behind.
        const token = opts.telegramToken === undefined ? undefined : telegramTokenSchema.parse(opts.telegramToken);
        const created = await createBot(ctx, { name: opts.name, timezone: opts.timezone });
        if (token) await setTelegramToken(ctx, created.id, token);
        print({ ...created, telegram: token ? 'token stored (encrypted)' : 'no token' });
      }),
    );
}

function addSetTelegramToken(bot: Command): void {
  bot
    .command('set-telegram-token')
    .argument('<botId>')
    .requiredOption('--token <token>', 'the bot token from @BotFather (stored encrypted; replaces the old one)')
    .action((botId: string, opts: { token: string }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        await setTelegramToken(ctx, target.id, opts.token);
        print({ botId: target.id, telegram: 'token stored (encrypted); running servers pick it up within a few seconds' });
      }),
    );
}

interface WhatsappOptions {
  phoneNumberId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  template?: string;
  templateLanguage: string;
  templateText?: boolean;
  displayPhone?: string;
}

function addSetWhatsapp(bot: Command): void {
  bot
    .command('set-whatsapp')
    .argument('<botId>')
    .requiredOption('--phone-number-id <id>', 'the phone number id from WhatsApp → API Setup')
    .requiredOption('--access-token <token>', 'a system-user access token (stored encrypted)')
    .requiredOption('--app-secret <secret>', 'the app secret, to check X-Hub-Signature-256 (stored encrypted)')
    .requiredOption('--verify-token <token>', 'the verify token you type into the webhook setup (stored encrypted)')
    .option('--template <name>', 'approved template sent outside the 24-hour window (without one, such sends fail)')
    .option('--template-language <code>', 'the template language', 'en_US')
    .option('--template-text', "pass the message text as the template's body parameter {{1}}")
    .option('--display-phone <number>', 'the number people write to: link tokens then come with a wa.me link')
    .action((botId: string, opts: WhatsappOptions) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        const template = opts.template === undefined ? null : whatsappTemplateSchema.parse({ name: opts.template, language: opts.templateLanguage, textParameter: opts.templateText === true });
        const displayPhone = opts.displayPhone === undefined ? null : displayPhoneSchema.parse(opts.displayPhone);
        await setWhatsappAccount(ctx, target.id, opts, template);
        await rememberDisplayPhone(ctx, target.id, displayPhone);
        print({ botId: target.id, whatsapp: 'credentials stored (encrypted)', webhookUrl: `${ctx.config.publicUrl}/whatsapp/${target.id}/webhook`, fallbackTemplate: template, displayPhone });
      }),
    );
}

interface VkOptions {
  groupId: string;
  accessToken: string;
  secretKey?: string;
  confirmationCode?: string;
}

function addSetVk(bot: Command): void {
  bot
    .command('set-vk')
    .argument('<botId>')
    .requiredOption('--group-id <id>', 'the community id (digits)')
    .requiredOption('--access-token <token>', 'a community token with the messages right (stored encrypted)')
    .option('--secret-key <key>', 'the Callback API secret key (stored encrypted); needed for the Callback API')
    .option('--confirmation-code <code>', 'the string the Callback API confirmation expects; needed for the Callback API')
    .action((botId: string, opts: VkOptions) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        await setVkAccount(ctx, target.id, opts);
        print({ botId: target.id, vk: 'credentials stored (encrypted); running servers pick them up within a few seconds', mode: ctx.config.VK_MODE, callbackUrl: `${ctx.config.publicUrl}/vk/${target.id}/callback` });
      }),
    );
}

function addSetDelivery(bot: Command): void {
  bot
    .command('set-delivery')
    .argument('<botId>')
    .option('--rate <perSecond>', 'messages per second for this bot (default: DELIVERY_RATE_PER_SECOND)')
    .option('--paid-broadcast <on|off>', "Telegram's allow_paid_broadcast: up to DELIVERY_PAID_RATE_PER_SECOND, paid in Stars")
    .option('--quiet-hours <HH:MM-HH:MM|off>', "hold non-critical messages in this local window (the person's time zone, else the bot's), e.g. 21:00-08:00")
    .action((botId: string, opts: { rate?: string; paidBroadcast?: string; quietHours?: string }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        // An option left out keeps the bot's current value.
        const delivery = deliverySettingsSchema.parse({
          ...deliverySettings(target),
          ...(opts.rate !== undefined ? { ratePerSecond: Number(opts.rate) } : {}),
          ...(opts.paidBroadcast !== undefined ? { allowPaidBroadcast: z.enum(['on', 'off']).parse(opts.paidBroadcast) === 'on' } : {}),
          ...(opts.quietHours !== undefined ? { quietHours: quietHoursOption(opts.quietHours) } : {}),
        });
        print((await updateBotSettings(ctx, target.id, { delivery })).settings.delivery);
      }),
    );
}

/** `21:00-08:00` as quiet hours; `off` removes them. */
function quietHoursOption(text: string): { from: string; to: string } | undefined {
  if (text === 'off') return undefined;
  const [from, to] = text.split('-');
  return { from, to };
}

function addSetWebchat(bot: Command): void {
  bot
    .command('set-webchat')
    .argument('<botId>')
    .requiredOption('--origins <list>', 'comma-separated sites allowed to embed the web chat (https://shop.example), * for any, or "" for none')
    .action((botId: string, opts: { origins: string }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        const webchat = webchatSettingsSchema.parse({ allowedOrigins: opts.origins.split(',').map((o) => o.trim()).filter(Boolean) });
        print({ ...(await updateBotSettings(ctx, target.id, { webchat })).settings.webchat as object, chatUrl: `${ctx.config.publicUrl}/chat/${target.id}` });
      }),
    );
}

function addSetPhoneCountry(bot: Command): void {
  bot
    .command('set-phone-country')
    .argument('<botId>')
    .requiredOption('--country <code>', 'the country of phone numbers written without a country code, e.g. RU (default: DEFAULT_PHONE_COUNTRY)')
    .action((botId: string, opts: { country: string }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        // The other identity settings stay as they are.
        const identity = { ...(target.settings.identity as Record<string, unknown> | undefined), defaultPhoneCountry: phoneCountrySchema.parse(opts.country) };
        print((await updateBotSettings(ctx, target.id, { identity })).settings.identity);
      }),
    );
}
