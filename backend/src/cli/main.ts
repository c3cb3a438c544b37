#!/usr/bin/env node
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { ApiError } from '../platform/http/errors';
import { botIdSchema, createBot, getBot, listBots, updateBotSettings } from '../bots/bots';
import { SCOPES } from '../bots/scopes';
import { createToken, listTokens, revokeToken } from '../bots/tokens';
import { setTelegramToken, telegramTokenSchema } from '../channels/telegram/telegram-store';
import { webchatSettingsSchema } from '../channels/webchat/settings';
import { ConfigError, loadConfig } from '../platform/config/config';
import type { AppContext } from '../platform/context';
import { systemClock } from '../platform/clock';
import { createDatabase, migrateToLatest } from '../platform/db/database';
import { deliverySettings, deliverySettingsSchema } from '../delivery/rate';
import { phoneCountrySchema } from '../platform/config/phone-country';
import { createLogger } from '../platform/logging/logger';
import { diffMapVersions, getMapVersion, importMap, listMapVersions, rollbackMap } from '../maps/maps';
import { startServer } from '../server';

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const collect = (value: string, previous: string[] = []) => [...previous, value];
const versionSchema = z.coerce.number().int().positive();

/** Opens the database (migrated unless told not to) for one command, runs it and closes the database. */
async function withContext<T>(work: (ctx: AppContext) => Promise<T>, options = { migrate: true }): Promise<T> {
  const config = loadConfig();
  const ctx: AppContext = { config, db: createDatabase(config), logger: createLogger('warn', { toStderr: true }), clock: systemClock };
  try {
    if (options.migrate) await migrateToLatest(ctx.db);
    return await work(ctx);
  } finally {
    await ctx.db.destroy();
  }
}

async function requireBot(ctx: AppContext, value: string) {
  const bot = await getBot(ctx, botIdSchema.parse(value));
  if (!bot) throw new ApiError(404, `Bot ${value} does not exist`);
  return bot;
}

export function buildCli(): Command {
  const program = new Command('metabot-backend').description('Metabot companion backend for n8n').exitOverride();

  program.command('serve').description('Migrate the database and start the HTTP server and workers').action(async () => {
    const server = await startServer();
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  program.command('migrate').description('Apply pending database migrations').action(() =>
    withContext(async (ctx) => print({ applied: await migrateToLatest(ctx.db) }), { migrate: false }),
  );

  const bot = program.command('bot').description('Manage bots');
  bot
    .command('create')
    .requiredOption('--name <name>', 'bot name')
    .option('--timezone <zone>', 'IANA time zone for data-table windows', 'UTC')
    .option('--telegram-token <token>', 'the bot token from @BotFather (stored encrypted)')
    .action((opts: { name: string; timezone: string; telegramToken?: string }) =>
      withContext(async (ctx) => {
        const token = opts.telegramToken === undefined ? undefined : telegramTokenSchema.parse(opts.telegramToken);
        const created = await createBot(ctx, { name: opts.name, timezone: opts.timezone });
        if (token) await setTelegramToken(ctx, created.id, token);
        print({ ...created, telegram: token ? 'token stored (encrypted)' : 'no token' });
      }),
    );
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
  bot
    .command('set-delivery')
    .argument('<botId>')
    .option('--rate <perSecond>', 'messages per second for this bot (default: DELIVERY_RATE_PER_SECOND)')
    .option('--paid-broadcast <on|off>', "Telegram's allow_paid_broadcast: up to DELIVERY_PAID_RATE_PER_SECOND, paid in Stars")
    .action((botId: string, opts: { rate?: string; paidBroadcast?: string }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        const delivery = deliverySettingsSchema.parse({
          ...deliverySettings(target),
          ...(opts.rate !== undefined ? { ratePerSecond: Number(opts.rate) } : {}),
          ...(opts.paidBroadcast !== undefined ? { allowPaidBroadcast: z.enum(['on', 'off']).parse(opts.paidBroadcast) === 'on' } : {}),
        });
        print((await updateBotSettings(ctx, target.id, { delivery })).settings.delivery);
      }),
    );
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
  bot
    .command('set-phone-country')
    .argument('<botId>')
    .requiredOption('--country <code>', 'the country of phone numbers written without a country code, e.g. RU (default: DEFAULT_PHONE_COUNTRY)')
    .action((botId: string, opts: { country: string }) =>
      withContext(async (ctx) => {
        const target = await requireBot(ctx, botId);
        const identity = { ...(target.settings.identity as Record<string, unknown> | undefined), defaultPhoneCountry: phoneCountrySchema.parse(opts.country) };
        print((await updateBotSettings(ctx, target.id, { identity })).settings.identity);
      }),
    );
  bot.command('list').action(() => withContext(async (ctx) => print(await listBots(ctx))));
  bot
    .command('show')
    .argument('<botId>')
    .action((botId: string) => withContext(async (ctx) => print(await requireBot(ctx, botId))));

  const token = program.command('token').description('Manage API tokens (shown once, stored as a hash)');
  token
    .command('create')
    .option('--bot <botId>', 'the bot this token is for (omit with --all-bots)')
    .option('--all-bots', 'a token for every bot (administration)')
    .option('--alias <glob>', 'alias glob this token may call, e.g. payments/* (repeatable)', collect)
    .option('--scope <scope>', `scope (repeatable): ${SCOPES.join(', ')}`, collect)
    .option('--name <name>', 'a label for the token', '')
    .action((opts: { bot?: string; allBots?: boolean; alias?: string[]; scope?: string[]; name: string }) =>
      withContext(async (ctx) => {
        if (!opts.bot === !opts.allBots) throw new ApiError(400, 'Give exactly one of --bot <id> or --all-bots');
        const botId = opts.bot ? (await requireBot(ctx, opts.bot)).id : null;
        const created = await createToken(ctx, { botId, name: opts.name, aliases: opts.alias, scopes: opts.scope as never });
        print({ token: created.token, ...created.info, note: 'Store this token now: it is not shown again.' });
      }),
    );
  token
    .command('list')
    .option('--bot <botId>')
    .action((opts: { bot?: string }) =>
      withContext(async (ctx) => print(await listTokens(ctx, opts.bot ? botIdSchema.parse(opts.bot) : undefined))),
    );
  token
    .command('revoke')
    .argument('<tokenId>')
    .action((tokenId: string) =>
      withContext(async (ctx) => {
        if (!(await revokeToken(ctx, tokenId))) throw new ApiError(404, `No active token ${tokenId}`);
        print({ revoked: tokenId });
      }),
    );

  const map = program.command('map').description('Communication maps: versioned JSON documents of integration endpoints');
  map
    .command('import')
    .requiredOption('--bot <botId>')
    .requiredOption('--file <path>', 'a map JSON file')
    .option('--author <name>', 'who made this version', process.env.USER ?? 'cli')
    .option('--comment <text>', 'what changed', '')
    .action((opts: { bot: string; file: string; author: string; comment: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const document: unknown = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
        const stored = await importMap(ctx, bot.id, document, { author: opts.author, comment: opts.comment });
        print({ version: stored.version, endpoints: stored.endpointCount });
      }),
    );
  map
    .command('export')
    .requiredOption('--bot <botId>')
    .option('--version <n>', 'a version (default: current)')
    .action((opts: { bot: string; version?: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const stored = await getMapVersion(ctx, bot.id, opts.version ? versionSchema.parse(opts.version) : undefined);
        if (!stored) throw new ApiError(404, 'No such map version');
        print(stored.document);
      }),
    );
  map
    .command('versions')
    .requiredOption('--bot <botId>')
    .action((opts: { bot: string }) => withContext(async (ctx) => print(await listMapVersions(ctx, (await requireBot(ctx, opts.bot)).id))));
  map
    .command('diff')
    .requiredOption('--bot <botId>')
    .requiredOption('--from <n>')
    .requiredOption('--to <n>')
    .action((opts: { bot: string; from: string; to: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        print(await diffMapVersions(ctx, bot.id, versionSchema.parse(opts.from), versionSchema.parse(opts.to)));
      }),
    );
  map
    .command('rollback')
    .requiredOption('--bot <botId>')
    .requiredOption('--version <n>')
    .option('--author <name>', 'who rolled back', process.env.USER ?? 'cli')
    .action((opts: { bot: string; version: string; author: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const stored = await rollbackMap(ctx, bot.id, versionSchema.parse(opts.version), { author: opts.author });
        print({ version: stored.version, rolledBackFrom: stored.rolledBackFrom });
      }),
    );
  return program;
}

/** Turns any failure into one line on stderr and a non-zero exit; never a stack trace. */
function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof ApiError) {
    const details = error.details.errors?.map((e) => `\n  - ${e.path}: ${e.message}`).join('') ?? '';
    return `${error.message}${details}`;
  }
  if (error instanceof z.ZodError) return `Invalid input:${error.issues.map((i) => `\n  - ${i.path.join('.') || 'value'}: ${i.message}`).join('')}`;
  if (error instanceof SyntaxError) return `Invalid JSON: ${error.message}`;
  return (error as Error)?.message ?? String(error);
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`error: ${explain(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void runCli(process.argv);
