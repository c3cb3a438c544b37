import crypto from 'node:crypto';
import os from 'node:os';
import { Bot } from 'grammy';
import type { AppContext } from '../../platform/context';
import { handleTelegramUpdate, type TelegramUpdateContext } from './handle-update';
import { telegramApi } from './telegram-channel';
import { describeTelegramError } from './telegram-wire';
import { listTelegramBots, releasePollLease, rememberUsername, takePollLease, type TelegramBotRecord } from './telegram-store';

/** The background loop that keeps this process's pollers and webhooks in line with the stored tokens (workers.ts). */
export const TELEGRAM_LOOP = 'telegram';

const POLL_LEASE_MS = 30_000;
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

interface Poller {
  version: number;
  bot: Bot;
  done: Promise<void>;
  running: boolean;
}

/** This process's Telegram state: its pollers and the webhooks it has set, per bot. */
export class TelegramPollers {
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  readonly pollers = new Map<number, Poller>();
  /** botId → token version whose webhook (or getMe) is done. */
  readonly configured = new Map<number, number>();
}

/** What the Telegram loop needs: the inbound pipeline for updates, and this process's pollers. */
export interface TelegramContext extends TelegramUpdateContext {
  telegram: TelegramPollers;
}

export function webhookUrl(ctx: AppContext, botId: number): string {
  return `${ctx.config.publicUrl}/telegram/${botId}/webhook`;
}

/** getMe once per token: the username goes to the bot's settings (deep links are built from it). */
async function identify(ctx: AppContext, record: TelegramBotRecord): Promise<void> {
  const me = await telegramApi(ctx, record.token).getMe();
  if (me.username && me.username !== record.username) await rememberUsername(ctx, record.botId, me.username);
}

async function configureWebhook(ctx: AppContext, record: TelegramBotRecord): Promise<void> {
  await identify(ctx, record);
  await telegramApi(ctx, record.token).setWebhook(webhookUrl(ctx, record.botId), {
    secret_token: record.webhookSecret,
    allowed_updates: [...ALLOWED_UPDATES],
  });
  ctx.logger.info({ botId: record.botId, url: webhookUrl(ctx, record.botId) }, 'telegram webhook set');
}

function startPoller(ctx: TelegramUpdateContext, record: TelegramBotRecord): Poller {
  const bot = new Bot(record.token, { client: { apiRoot: ctx.config.TELEGRAM_API_ROOT, timeoutSeconds: 60 } });
  // No bot.catch: an update that could not be stored stops the poller without confirming it, and
  // the next sync starts polling again from the same update.
  bot.use((gctx) => handleTelegramUpdate(ctx, record.botId, gctx.api, gctx.update));
  const poller: Poller = { version: record.updatedAt, bot, running: true, done: Promise.resolve() };
  poller.done = bot
    .start({ allowed_updates: [...ALLOWED_UPDATES], timeout: 25, onStart: (me) => void rememberUsername(ctx, record.botId, me.username).catch(() => undefined) })
    .catch((err: unknown) => ctx.logger.error({ error: describeTelegramError(err), botId: record.botId }, 'telegram polling stopped; it restarts at the next sync'))
    .finally(() => {
      poller.running = false;
    });
  ctx.logger.info({ botId: record.botId }, 'telegram long polling started');
  return poller;
}

async function stopPoller(poller: Poller): Promise<void> {
  if (poller.running && poller.bot.isRunning()) await poller.bot.stop().catch(() => undefined);
  await poller.done;
}

async function syncPolling(ctx: TelegramUpdateContext, runtime: TelegramPollers, record: TelegramBotRecord): Promise<void> {
  const current = runtime.pollers.get(record.botId);
  const leased = await takePollLease(ctx, record.botId, runtime.owner, POLL_LEASE_MS);
  const stale = current && (!current.running || current.version !== record.updatedAt || !leased);
  if (stale) {
    await stopPoller(current);
    runtime.pollers.delete(record.botId);
  }
  if (leased && !runtime.pollers.has(record.botId)) runtime.pollers.set(record.botId, startPoller(ctx, record));
}

/**
 * Brings this process in line with the stored Telegram tokens: long polling (one process per
 * bot, by lease) or the webhook set with its secret token. Runs at start and every few seconds, so
 * a token set from the CLI is picked up without a restart.
 */
export async function syncTelegram(ctx: TelegramContext): Promise<void> {
  const runtime = ctx.telegram;
  const records = await listTelegramBots(ctx);
  for (const record of records) {
    try {
      if (ctx.config.TELEGRAM_MODE === 'webhook') {
        if (runtime.configured.get(record.botId) !== record.updatedAt) {
          await configureWebhook(ctx, record);
          runtime.configured.set(record.botId, record.updatedAt);
        }
      } else {
        await syncPolling(ctx, runtime, record);
      }
    } catch (err) {
      ctx.logger.error({ error: describeTelegramError(err), botId: record.botId }, 'telegram sync failed for this bot');
    }
  }
  await forgetRemoved(runtime, new Set(records.map((record) => record.botId)));
}

/** A token removed (API or CLI): its poller stops; a token set again later is configured anew. */
async function forgetRemoved(runtime: TelegramPollers, listed: Set<number>): Promise<void> {
  for (const [botId, poller] of runtime.pollers) {
    if (listed.has(botId)) continue;
    await stopPoller(poller);
    runtime.pollers.delete(botId);
  }
  for (const botId of runtime.configured.keys()) if (!listed.has(botId)) runtime.configured.delete(botId);
}

export async function stopTelegram(ctx: TelegramContext): Promise<void> {
  const runtime = ctx.telegram;
  await Promise.all(
    [...runtime.pollers].map(async ([botId, poller]) => {
      await stopPoller(poller);
      await releasePollLease(ctx, botId, runtime.owner).catch(() => undefined);
    }),
  );
  runtime.pollers.clear();
  runtime.configured.clear();
}
