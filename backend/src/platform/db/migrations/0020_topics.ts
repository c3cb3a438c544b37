import type { Knex } from 'knex';

/**
 * Topics (audiences). A topic is a named list of people of one bot; a member is a CRM user
 * (`member_kind = 'user'`, reached through the user's linked chats) or a lead (`'lead'`, that chat
 * only). `stopped_at` is the person's own preference: the member stays in the topic but refuses its
 * non-critical messages until they take them back. A recipient row of a send to topics remembers
 * the topic it came through (`message_recipients.topic_id`), so the worker checks that preference
 * when the message leaves.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('topics', (t) => {
    t.increments('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('key', 64).notNullable();
    t.string('name', 200).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['bot_id', 'key']);
  });
  await db.schema.createTable('topic_members', (t) => {
    t.integer('topic_id').notNullable().references('topics.id').onDelete('CASCADE');
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('member_kind', 8).notNullable();
    t.string('member_id', 200).notNullable();
    t.bigInteger('stopped_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['topic_id', 'member_kind', 'member_id']);
    t.index(['bot_id', 'member_kind', 'member_id']);
  });
  await db.schema.alterTable('message_recipients', (t) => {
    t.integer('topic_id').nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('message_recipients', (t) => {
    t.dropColumn('topic_id');
  });
  await db.schema.dropTable('topic_members');
  await db.schema.dropTable('topics');
}
