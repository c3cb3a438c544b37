import type { Knex } from 'knex';

/**
 * Idempotency keys belong to (bot, token, endpoint), not to the bot: one integration's key no longer
 * answers another's call, and a token cannot probe which keys others used. Rows written before keep
 * token_id and endpoint '' (LEGACY_KEY_OWNER in once-per-key.ts), still valid, still honoured for any
 * token until IDEMPOTENCY_TTL_HOURS has passed, so a retry across the upgrade is not run twice.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('idempotency_keys', (t) => {
    t.string('token_id', 40).notNullable().defaultTo('');
    t.string('endpoint', 40).notNullable().defaultTo('');
  });
  await db.schema.alterTable('idempotency_keys', (t) => {
    t.dropPrimary();
    t.primary(['bot_id', 'token_id', 'endpoint', 'key']);
  });
}

/** Back to one key per bot. Keys live IDEMPOTENCY_TTL_HOURS anyway: the rows written since are dropped. */
export async function down(db: Knex): Promise<void> {
  await db('idempotency_keys').whereNot({ token_id: '' }).delete();
  await db.schema.alterTable('idempotency_keys', (t) => {
    t.dropPrimary();
    t.primary(['bot_id', 'key']);
  });
  await db.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('token_id');
    t.dropColumn('endpoint');
  });
}
