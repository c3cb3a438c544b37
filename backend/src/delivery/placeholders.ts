import type { Knex } from 'knex';
import { z } from 'zod';
import { profileFieldNamesInUse } from '../identity/accounts';
import { attributeNamesInUse } from '../identity/lead-directory';

export const placeholderSchema = z.object({
  path: z.string().meta({ description: 'What goes between the delimiters: `[[ lead.firstName ]]`' }),
  source: z.enum(['lead', 'attribute', 'user', 'profile']),
  description: z.string(),
});
export type Placeholder = z.output<typeof placeholderSchema>;

/** What `templateScope` (messages.ts) gives every template besides attributes and params. */
const SCOPE_PLACEHOLDERS: Placeholder[] = [
  { path: 'lead.firstName', source: 'lead', description: 'First name from the messenger profile' },
  { path: 'lead.lastName', source: 'lead', description: 'Last name from the messenger profile' },
  { path: 'lead.username', source: 'lead', description: 'Messenger username' },
  { path: 'lead.language', source: 'lead', description: 'Language the messenger reports (en, ru, …)' },
  { path: 'lead.channel', source: 'lead', description: 'Messenger: telegram, webchat, whatsapp' },
  { path: 'lead.chatId', source: 'lead', description: 'Chat ID in the messenger' },
  { path: 'lead.id', source: 'lead', description: 'Metabot lead ID' },
  { path: 'user.userId', source: 'user', description: 'CRM user ID linked to the chat (empty when none)' },
];

/** How far the attribute and profile scans read: enough to see every name a bot uses in practice, bounded on a big one. */
const ATTRIBUTE_BOUNDS = { leadsRead: 1000, maxNames: 200 };
const PROFILE_BOUNDS = { accountsRead: 1000, maxNames: 200 };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `lead.attributes.tier`, or the bracket form Liquid needs for a name such as `last order`. */
function pathUnder(parent: string, name: string): string {
  return IDENTIFIER.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

/**
 * Every placeholder a template of this bot may use: the messenger profile fields, the attribute
 * names its leads carry, the user and the CRM profile field names its users carry. `complete` is
 * false when either scan reached its bound.
 */
export async function listPlaceholders(db: Knex, botId: number): Promise<{ placeholders: Placeholder[]; complete: boolean }> {
  const [attributes, profile] = await Promise.all([attributeNamesInUse(db, botId, ATTRIBUTE_BOUNDS), profileFieldNamesInUse(db, botId, PROFILE_BOUNDS)]);
  const attributePlaceholders = attributes.names.map((name): Placeholder => ({ path: pathUnder('lead.attributes', name), source: 'attribute', description: `Attribute "${name}" a workflow set on the lead` }));
  const profilePlaceholders = profile.names.map((name): Placeholder => ({ path: pathUnder('user.profile', name), source: 'profile', description: `Field "${name}" of the CRM user's profile (users/update)` }));
  return { placeholders: [...SCOPE_PLACEHOLDERS, ...attributePlaceholders, ...profilePlaceholders], complete: attributes.complete && profile.complete };
}
