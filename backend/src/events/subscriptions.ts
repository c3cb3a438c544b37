import crypto from 'node:crypto';
import picomatch from 'picomatch';
import { z } from 'zod';
import { isAliasScoped } from '../bots/tokens';
import type { AppContext } from '../platform/context';
import { forbidden } from '../platform/errors';
import { fromJson, toJson } from '../platform/db/database';
import { assertCallableTarget, callableUrlSchema } from '../platform/http/outbound-target';
import { decryptSecret, encryptSecret, secretKey } from '../platform/secrets/secret-box';
import { EVENTS_LOOP } from './outbox';

/** The event types a subscription can ask for (docs/ARCHITECTURE.md, "Events to n8n"); '*' means all of them. */
export const EVENT_TYPES = [
  'message.received', 'button.pressed', 'contact.shared', 'bot.started', 'bot.blocked', 'bot.unblocked',
  'user.linked', 'user.unlinked', 'user.paused', 'user.resumed', 'user.blocked', 'user.unblocked',
  'user.deleted', 'user.updated', 'endpoint.called', 'message.sent', 'message.failed', 'message.cancelled',
  'payment.pre_checkout', 'payment.succeeded', 'payment.refunded', 'topic.subscribed', 'topic.unsubscribed',
  'conversation.held', 'conversation.released', 'conversation.handover_requested', 'conversation.assigned',
  'conversation.returned', 'conversation.closed', 'operator.replied',
] as const;

export const MAX_SUBSCRIPTIONS_PER_BOT = 100;

const aliasGlobSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_\-/*?{},.![\]]+$/, 'must be an alias glob such as payments/* or users/**');

export const createSubscriptionSchema = z
  .object({
    url: callableUrlSchema,
    events: z.array(z.enum([...EVENT_TYPES, '*'])).min(1).max(EVENT_TYPES.length + 1),
    aliases: z.array(aliasGlobSchema).max(50).default([]),
    /**
     * This subscriber answers endpoint calls: for an endpoint with `answer: "workflow"`, its delivery
     * is made at once and its response body becomes the caller's answer (a Metabot Trigger that
     * responds with Answer Call).
     */
    answers: z.boolean().default(false),
  })
  .meta({ id: 'CreateSubscription' });
export type CreateSubscriptionInput = z.output<typeof createSubscriptionSchema>;

/** An alias with no glob characters. */
const plainAliasSchema = z.string().regex(/^[A-Za-z0-9_\-/.]+$/);

/**
 * What a token limited to alias globs may subscribe to: `endpoint.called` of aliases inside its
 * globs. The other events (messages, buttons, user changes) are about people, not aliases, so no
 * glob bounds them and such a token gets none. A glob must be one of the token's own or a plain
 * alias one of them matches (whether one glob lies inside another is not decided here); without
 * globs the subscription takes the token's.
 */
export function boundByTokenAliases(input: CreateSubscriptionInput, tokenAliases: string[]): CreateSubscriptionInput {
  if (!isAliasScoped(tokenAliases)) return input;
  if (input.events.some((type) => type !== 'endpoint.called')) {
    throw forbidden('A token limited to aliases may only subscribe to endpoint.called');
  }
  const outside = input.aliases.filter((glob) => !insideTokenAliases(glob, tokenAliases));
  if (outside.length > 0) throw forbidden(`Outside this token's aliases: ${outside.join(', ')}`);
  return { ...input, aliases: input.aliases.length > 0 ? input.aliases : tokenAliases };
}

const insideTokenAliases = (glob: string, tokenAliases: string[]) =>
  tokenAliases.includes(glob) || (plainAliasSchema.safeParse(glob).success && picomatch.isMatch(glob, tokenAliases));

/**
 * Whether a token sees a subscription (lists, reads, deletes it and its deliveries): one limited to
 * alias globs sees only what it could have created itself — `endpoint.called` of aliases inside its
 * globs — so a payments integration cannot read or remove the CRM's or another team's workflows.
 */
export function visibleToToken(subscription: Subscription, tokenAliases: string[]): boolean {
  if (!isAliasScoped(tokenAliases)) return true;
  return subscription.events.every((type) => type === 'endpoint.called') && subscription.aliases.length > 0 && subscription.aliases.every((glob) => insideTokenAliases(glob, tokenAliases));
}

export interface Subscription {
  id: string;
  botId: number;
  url: string;
  events: string[];
  aliases: string[];
  answers: boolean;
  createdAt: number;
}

export interface SubscriptionRow {
  id: string;
  bot_id: number;
  url: string;
  events: string;
  aliases: string;
  secret: string;
  answers: boolean | number;
  adopted_at: number | null;
  created_at: number;
}

export function toSubscription(row: SubscriptionRow): Subscription {
  return { id: row.id, botId: row.bot_id, url: row.url, events: fromJson(row.events), aliases: fromJson(row.aliases), answers: Boolean(row.answers), createdAt: row.created_at };
}

const SECRET_PREFIX = 'whsec_';

/** Sealed at rest; a secret stored in the clear (before secrets always were sealed) is read as it is. */
export function subscriptionSecret(ctx: AppContext, row: SubscriptionRow): string {
  return row.secret.startsWith(SECRET_PREFIX) ? row.secret : decryptSecret(secretKey(ctx), row.secret);
}

/** What the fan-out needs to know about an event to decide who gets it. */
export interface EventFacts {
  type: string;
  alias: string | null;
  /** Null: anyone who wants the type; else only the subscription of that id (conversations: a workflow holding the dialog, or `operator`). */
  audience?: string | null;
}

/** Compiled once per fan-out pass: does this subscription want this event? */
export function subscriptionMatcher(subscription: Pick<Subscription, 'id' | 'events' | 'aliases'>): (event: EventFacts) => boolean {
  const wantsAll = subscription.events.includes('*');
  const types = new Set(subscription.events);
  const aliasMatches = subscription.aliases.length > 0 ? picomatch(subscription.aliases) : () => true;
  return (event) => {
    if (event.audience != null && event.audience !== subscription.id) return false;
    if (!wantsAll && !types.has(event.type)) return false;
    if (event.type !== 'endpoint.called') return true;
    return aliasMatches(event.alias ?? '');
  };
}

export class TooManySubscriptionsError extends Error {}

/** Creates a subscription (a URL the backend will not send to is `invalid`); the secret is returned here and never again. */
export async function createSubscription(
  ctx: AppContext,
  botId: number,
  input: CreateSubscriptionInput,
): Promise<{ subscription: Subscription; secret: string }> {
  assertCallableTarget(ctx.config, input.url, 'url', 'subscription');
  const secret = `${SECRET_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;
  const row: SubscriptionRow = {
    id: `sub_${crypto.randomBytes(12).toString('hex')}`,
    bot_id: botId,
    url: input.url,
    events: toJson([...new Set(input.events)]),
    aliases: toJson([...new Set(input.aliases)]),
    secret: encryptSecret(secretKey(ctx), secret),
    answers: input.answers,
    adopted_at: null,
    created_at: ctx.clock.now(),
  };
  await ctx.db.transaction(async (trx) => {
    const [{ n }] = await trx('subscriptions').where({ bot_id: botId }).count({ n: '*' });
    if (Number(n) >= MAX_SUBSCRIPTIONS_PER_BOT) throw new TooManySubscriptionsError();
    await trx('subscriptions').insert(row);
    ctx.wakeups.wakeAfterCommit(trx, EVENTS_LOOP);
  });
  return { subscription: toSubscription(row), secret };
}

export async function listSubscriptions(ctx: AppContext, botId: number): Promise<Subscription[]> {
  const rows = await ctx.db<SubscriptionRow>('subscriptions').where({ bot_id: botId }).orderBy('created_at').orderBy('id');
  return rows.map(toSubscription);
}

export async function getSubscription(ctx: AppContext, botId: number, id: string): Promise<Subscription | undefined> {
  const row = await ctx.db<SubscriptionRow>('subscriptions').where({ bot_id: botId, id }).first();
  return row && toSubscription(row);
}

/** Deletes a subscription and its deliveries (pending ones are dropped: nobody listens any more). */
export async function deleteSubscription(ctx: AppContext, botId: number, id: string): Promise<boolean> {
  return ctx.db.transaction(async (trx) => {
    await trx('event_deliveries').where({ bot_id: botId, subscription_id: id }).delete();
    return (await trx('subscriptions').where({ bot_id: botId, id }).delete()) > 0;
  });
}
