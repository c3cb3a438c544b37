import { z } from 'zod';
import { handleVkEvent } from './handle-event';
import { isVkServer } from './photos';
import { vkEventSchema } from './updates';
import { callVk, type VkTarget } from './vk-api';
import { vkTarget } from './vk-channel';
import type { VkContext, VkPoller } from './vk-runtime';
import { listVkAccounts, releaseVkPollLease, rememberPollTs, rememberScreenName, takeVkPollLease, type VkAccount } from './vk-store';

/**
 * Bots Long Poll (dev.vk.com/ru/api/bots-long-poll/getting-started): groups.getLongPollServer gives
 * `server`, `key` and `ts`; `<server>?act=a_check&key=…&ts=…&wait=25` answers the events after
 * `ts` and the next `ts`, or `failed`: 1 — events were lost, go on from the `ts` given; 2 — the key
 * expired, get a new one; 3 — key and position are gone, get both. The position is stored only
 * after every event of a batch was stored, so a crash or a failed event reads the batch again
 * (repeats are dropped by event_id).
 */

const POLL_LEASE_MS = 30_000;

const sessionSchema = z.object({ key: z.string(), server: z.string(), ts: z.union([z.string(), z.number()]).transform(String) });
const checkSchema = z.union([
  z.object({ failed: z.literal(1), ts: z.union([z.string(), z.number()]).transform(String) }),
  z.object({ failed: z.union([z.literal(2), z.literal(3)]) }),
  z.object({ ts: z.union([z.string(), z.number()]).transform(String), updates: z.array(z.unknown()) }),
]);
type Session = z.infer<typeof sessionSchema>;

async function newSession(target: VkTarget, ctx: VkContext): Promise<Session> {
  const session = sessionSchema.parse(await callVk(target, 'groups.getLongPollServer', { group_id: target.groupId }));
  if (!isVkServer(session.server, ctx.config)) throw new Error('VK named a Long Poll server outside its domains');
  return session;
}

async function check(ctx: VkContext, session: Session, signal: AbortSignal): Promise<z.infer<typeof checkSchema>> {
  const query = new URLSearchParams({ act: 'a_check', key: session.key, ts: session.ts, wait: String(ctx.config.VK_LONGPOLL_WAIT) });
  const response = await fetch(`${session.server}?${query}`, { signal: AbortSignal.any([signal, AbortSignal.timeout((ctx.config.VK_LONGPOLL_WAIT + 15) * 1000)]) });
  return checkSchema.parse(await response.json());
}

async function poll(ctx: VkContext, account: VkAccount, signal: AbortSignal): Promise<void> {
  const target = vkTarget(ctx.config, ctx.vk, account);
  let session = await newSession(target, ctx);
  if (account.pollTs) session = { ...session, ts: account.pollTs };
  while (!signal.aborted) {
    const answer = await check(ctx, session, signal);
    if ('failed' in answer) {
      if (answer.failed === 1) ctx.logger.warn({ botId: account.botId }, 'VK long poll: events before this position are gone; continuing from VK\'s');
      session = answer.failed === 1 ? { ...session, ts: answer.ts } : answer.failed === 2 ? { ...(await newSession(target, ctx)), ts: session.ts } : await newSession(target, ctx);
      continue;
    }
    for (const raw of answer.updates) {
      const event = vkEventSchema.safeParse(raw);
      if (event.success && event.data.group_id === account.groupId) await handleVkEvent(ctx, account, event.data);
    }
    await rememberPollTs(ctx, account.botId, answer.ts);
    session = { ...session, ts: answer.ts };
  }
}

function startPoller(ctx: VkContext, account: VkAccount): VkPoller {
  const poller: VkPoller = { version: account.updatedAt, abort: new AbortController(), running: true, done: Promise.resolve() };
  poller.done = poll(ctx, account, poller.abort.signal)
    .catch((error: unknown) => {
      if (!poller.abort.signal.aborted) ctx.logger.error({ botId: account.botId, error: (error as Error).message }, 'VK long poll stopped; it restarts at the next sync');
    })
    .finally(() => {
      poller.running = false;
    });
  ctx.logger.info({ botId: account.botId }, 'VK long poll started');
  return poller;
}

async function stopPoller(poller: VkPoller): Promise<void> {
  poller.abort.abort();
  await poller.done;
}

async function syncPolling(ctx: VkContext, account: VkAccount): Promise<void> {
  const { pollers, owner } = ctx.vk;
  const current = pollers.get(account.botId);
  const leased = await takeVkPollLease(ctx, account.botId, owner, POLL_LEASE_MS);
  if (current && (!current.running || current.version !== account.updatedAt || !leased)) {
    await stopPoller(current);
    pollers.delete(account.botId);
  }
  if (leased && !pollers.has(account.botId)) pollers.set(account.botId, startPoller(ctx, account));
}

const groupsSchema = z.object({ groups: z.array(z.object({ id: z.number(), screen_name: z.string().optional() })).min(1) });

/** The token's own community (groups.getById without ids): its id and short name. */
export async function tokenCommunity(target: VkTarget): Promise<{ id: number; screenName: string | null }> {
  const [group] = groupsSchema.parse(await callVk(target, 'groups.getById', {})).groups;
  return { id: group.id, screenName: group.screen_name ?? null };
}

/** The short name vk.me deep links are built from, looked up once per stored token. */
async function identify(ctx: VkContext, account: VkAccount): Promise<void> {
  if (account.screenName || ctx.vk.identified.get(account.botId) === account.updatedAt) return;
  const { screenName } = await tokenCommunity(vkTarget(ctx.config, ctx.vk, account));
  if (screenName) await rememberScreenName(ctx, account.botId, screenName);
  ctx.vk.identified.set(account.botId, account.updatedAt);
}

/**
 * Brings this process in line with the stored communities: the short name looked up, and with
 * VK_MODE=longpoll one Long Poll reader per community across processes (by lease). Runs at start
 * and every few seconds, so a community set from the CLI is picked up without a restart.
 */
export async function syncVk(ctx: VkContext): Promise<void> {
  const accounts = await listVkAccounts(ctx);
  for (const account of accounts) {
    try {
      await identify(ctx, account).catch((error: unknown) => ctx.logger.warn({ botId: account.botId, error: (error as Error).message }, 'VK groups.getById failed; deep links wait for the short name'));
      if (ctx.config.VK_MODE === 'longpoll') await syncPolling(ctx, account);
    } catch (error) {
      ctx.logger.error({ botId: account.botId, error: (error as Error).message }, 'VK sync failed for this bot');
    }
  }
  const listed = new Set(accounts.map((account) => account.botId));
  for (const [botId, poller] of ctx.vk.pollers) {
    if (listed.has(botId)) continue;
    await stopPoller(poller);
    ctx.vk.pollers.delete(botId);
  }
}

export async function stopVk(ctx: VkContext): Promise<void> {
  await Promise.all(
    [...ctx.vk.pollers].map(async ([botId, poller]) => {
      await stopPoller(poller);
      await releaseVkPollLease(ctx, botId, ctx.vk.owner).catch(() => undefined);
    }),
  );
  ctx.vk.pollers.clear();
}
