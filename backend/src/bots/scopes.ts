import { z } from 'zod';

/**
 * What a token may do beyond naming bots and aliases. `call` is the integration endpoint; the rest
 * are the management APIs (`analytics`: figures and exports, read-only; `audiences`: topics, their
 * members and segments; `admin`: the bot's own configuration, e.g. its Telegram token;
 * `conversations`: who owns a person's dialog, handover to operators and their replies;
 * `verification`: one-time codes that link a person who proves to be a CRM user, and nothing else
 * of the identity map). A payments integration typically gets `call` with alias `payments/*`.
 */
export const SCOPES = ['call', 'identity', 'messages', 'tables', 'subscriptions', 'maps', 'traces', 'analytics', 'audiences', 'conversations', 'admin', 'verification'] as const;
export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;
