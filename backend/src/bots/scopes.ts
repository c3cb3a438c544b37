import { z } from 'zod';

/**
 * What a token may do beyond naming bots and aliases. `call` is the integration endpoint; the rest
 * are the management APIs (`admin`: the bot's own configuration, e.g. its Telegram token). A
 * payments integration typically gets `call` with alias `payments/*`.
 */
export const SCOPES = ['call', 'identity', 'messages', 'tables', 'subscriptions', 'maps', 'traces', 'admin'] as const;
export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;
