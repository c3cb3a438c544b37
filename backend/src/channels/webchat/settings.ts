import { z } from 'zod';
import type { Bot } from '../../bots/bots';

/**
 * Per-bot web chat settings (bot settings key `webchat`): the sites allowed to embed the chat
 * (origins like `https://shop.example`, or `*` for any). Without any, only the chat's own page works.
 */
export const webchatSettingsSchema = z.object({
  allowedOrigins: z
    .array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin)]))
    .max(100)
    .default([]),
});
export type WebchatSettings = z.output<typeof webchatSettingsSchema>;

export function webchatSettings(bot: Bot): WebchatSettings {
  const parsed = webchatSettingsSchema.safeParse(bot.settings.webchat ?? {});
  return parsed.success ? parsed.data : { allowedOrigins: [] };
}

/** True when a request with this Origin header may use the chat: no header, the chat's own origin, or an allowed site. */
export function originAllowed(settings: WebchatSettings, origin: string | undefined, ownOrigins: string[]): boolean {
  if (origin === undefined) return true;
  if (ownOrigins.includes(origin)) return true;
  return settings.allowedOrigins.includes('*') || settings.allowedOrigins.includes(origin);
}

/** The CSP `frame-ancestors` value: the chat page may be framed by itself and the allowed sites. */
export function frameAncestors(settings: WebchatSettings): string {
  if (settings.allowedOrigins.includes('*')) return '*';
  return ["'self'", ...settings.allowedOrigins].join(' ');
}
