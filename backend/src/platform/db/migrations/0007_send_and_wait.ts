import type { Knex } from 'knex';

/** Send-and-wait: who is being waited for, and the one resume call per waiting message. */
export async function up(db: Knex): Promise<void> {
  // One row per (waiting message, lead it was sent to); deleted when answered or expired.
  await db.schema.createTable('message_waits', (t) => {
    t.string('message_id', 40).notNullable();
    t.string('lead_id', 40).notNullable();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('user_id', 200).nullable();
    t.string('mode', 16).notNullable();
    // The channel's id of the sent message: a button must be pressed on this message.
    t.string('external_id', 100).nullable();
    t.string('trace_id', 64).notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['message_id', 'lead_id']);
    t.index(['bot_id', 'lead_id']);
    t.index(['expires_at']);
  });

  // At most one per message (the primary key is the exactly-once guard), delivered like a webhook.
  await db.schema.createTable('wait_resumes', (t) => {
    t.string('message_id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('resume_url', 2000).notNullable();
    t.text('body').notNullable();
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.text('last_error').nullable();
    t.integer('last_status_code').nullable();
    t.bigInteger('delivered_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['status', 'next_attempt_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('wait_resumes');
  await db.schema.dropTableIfExists('message_waits');
}
