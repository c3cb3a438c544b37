import type { Knex } from 'knex';

/**
 * Scheduled and cancellable sends. A scheduled recipient is a `message_recipients` row with status
 * `scheduled` and `due_at` = its time: the worker's claim already walks the (status, due_at)
 * indexes, so nothing scans the table. `started_at` marks a send of the current claim that is on
 * the wire (set with the start mark, cleared by the claim and by the outcome), so a cancel can
 * tell what already left; `cancelled_at` is set by a cancel on every row it reached, including
 * one on the wire (then reported as having left before the cancel). A cancel key names at most one
 * pending message per bot.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('message_recipients', (t) => {
    t.bigInteger('started_at').nullable();
    t.bigInteger('cancelled_at').nullable();
  });
  await db.schema.createTable('message_cancel_keys', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('cancel_key', 200).notNullable();
    t.string('message_id', 40).notNullable().references('messages.id').onDelete('CASCADE');
    t.primary(['bot_id', 'cancel_key']);
    t.index(['message_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('message_cancel_keys');
  await db.schema.alterTable('message_recipients', (t) => {
    t.dropColumn('cancelled_at');
    t.dropColumn('started_at');
  });
}
