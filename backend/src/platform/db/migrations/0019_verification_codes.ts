import type { Knex } from 'knex';

/**
 * One-time codes that verify a person is a CRM user before their lead is linked (identity's
 * `verification.ts`): the code's salted HMAC, never the code; attempts counted by a conditional
 * update. `verification_users` holds one row per user that started a code: the row start locks on
 * PostgreSQL, so "3 codes an hour" is counted by one transaction at a time.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('verification_users', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('user_id', 200).notNullable();
    t.primary(['bot_id', 'user_id']);
  });
  await db.schema.createTable('verification_codes', (t) => {
    t.string('id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('user_id', 200).notNullable();
    t.string('salt', 32).notNullable();
    t.string('code_hash', 64).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('verified_at').nullable();
    t.string('verified_lead_id', 40).nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id', 'user_id', 'created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('verification_codes');
  await db.schema.dropTableIfExists('verification_users');
}
