import type { Knex } from 'knex';

/**
 * Tokens created with alias globs used to get every scope by default. Such a token — alias globs
 * without `**`, and exactly the scopes that existed when that default applied — is narrowed to
 * `call`, what a new one gets. A token given fewer scopes on purpose is left as it is. Both lists
 * are written out here: the code's lists may change, this migration must not.
 */
const SCOPES_OF_THE_OLD_DEFAULT = ['call', 'identity', 'messages', 'tables', 'subscriptions', 'maps', 'traces', 'admin'];

function hadTheOldDefault(row: { aliases: string; scopes: string }): boolean {
  const aliases = JSON.parse(row.aliases) as string[];
  const scopes = new Set(JSON.parse(row.scopes) as string[]);
  return !aliases.includes('**') && scopes.size === SCOPES_OF_THE_OLD_DEFAULT.length && SCOPES_OF_THE_OLD_DEFAULT.every((s) => scopes.has(s));
}

export async function up(db: Knex): Promise<void> {
  const rows = (await db('api_tokens').select('id', 'aliases', 'scopes')) as Array<{ id: string; aliases: string; scopes: string }>;
  const narrowed = rows.filter(hadTheOldDefault).map((row) => row.id);
  if (narrowed.length > 0) await db('api_tokens').whereIn('id', narrowed).update({ scopes: JSON.stringify(['call']) });
}

/** Which tokens were narrowed is not recorded: widening them again would be a guess. */
export async function down(): Promise<void> {}
