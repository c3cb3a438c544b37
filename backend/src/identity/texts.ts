import { z } from 'zod';
import type { Bot } from '../bots/bots';
import { languageTagSchema } from '../delivery/content-schema';
import { renderString } from '../delivery/templates';

/**
 * What the person sees in the chat for identity flows and account transitions (the integration contract's account
 * map). A bot overrides any of them in its settings, `settings.identity.texts.<key>`, as a Liquid
 * template with the same variables (`reason`, `until`), optionally one per language.
 */
const defaultTexts = {
  'link.done': 'Done: this chat is now connected to your account.',
  'link.already': 'This chat is already connected to your account.',
  'link.expired': 'This link has expired. Please request a new one in your account.',
  'link.used': 'This link has already been used. Please request a new one in your account.',
  'link.foreign': 'This link belongs to another bot. Please open the link you received for this one.',
  'link.invalid': 'This link is not valid. Please request a new one in your account.',
  'contact.not_own': 'Please share your own phone number with the button below, not a forwarded contact.',
  'contact.request_button': 'Share my phone number',
  'contact.received': 'Thank you, your phone number has been received.',
  'account.deleted': 'Your account has been deleted. You can keep using the bot as a guest or sign up again.',
  'user.paused': 'Got it: I will not disturb you until {{ until }}, except for critical messages. You can resume earlier at any time.',
  'user.resumed': 'Welcome back! Messages are on again. How can I help?',
  'user.blocked': 'Your account has been blocked.{% if reason %} Reason: {{ reason }}{% endif %}',
  'user.unblocked': 'Your account has been unblocked. Welcome back!',
  'user.unlinked': 'You have been disconnected from the bot. To continue, sign in again with a new link from your account.',
} as const;

export type TextKey = keyof typeof defaultTexts;

/**
 * An override is a template string, or one per language with an optional `default`:
 * `{"default": "Blocked.", "ru": "Аккаунт заблокирован."}`. Either delimiter set works
 * (`{{ until }}` or `[[ until ]]`, delivery/templates.ts).
 */
const overrideSchema = z.union([z.string(), z.record(z.union([z.literal('default'), languageTagSchema]), z.string())]);

function overrideOf(bot: Bot, key: TextKey): Record<string, string> {
  const identity = bot.settings.identity as { texts?: Record<string, unknown> } | undefined;
  const parsed = overrideSchema.safeParse(identity?.texts?.[key]);
  if (!parsed.success) return {};
  return typeof parsed.data === 'string' ? { default: parsed.data } : parsed.data;
}

/** Undefined for a broken override, which then falls back: the person still learns what happened. */
function tryRender(template: string | undefined, variables: Record<string, unknown>): string | undefined {
  if (template === undefined) return undefined;
  try {
    return renderString(template, variables).trim();
  } catch {
    return undefined;
  }
}

export function identityText(bot: Bot, key: TextKey, variables: Record<string, unknown> = {}): string {
  return tryRender(overrideOf(bot, key).default, variables) ?? renderString(defaultTexts[key], variables).trim();
}

/** The text and its per-language variants, for a notice that delivery renders per person (`queueNotice`); a broken variant is left out. */
export function identityTexts(bot: Bot, key: TextKey, variables: Record<string, unknown> = {}): { text: string; variants: Record<string, string> } {
  const { default: _default, ...languages } = overrideOf(bot, key);
  const variants = Object.entries(languages).flatMap(([language, template]) => {
    const text = tryRender(template, variables);
    return text === undefined ? [] : [[language, text]];
  });
  return { text: identityText(bot, key, variables), variants: Object.fromEntries(variants) };
}

/** A time as the bot's users read it, in the bot's time zone. */
export function formatTime(bot: Bot, epochMs: number): string {
  return new Date(epochMs).toLocaleString('en-GB', { timeZone: bot.timezone, dateStyle: 'medium', timeStyle: 'short' });
}
