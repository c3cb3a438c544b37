import type { Knex } from 'knex';

/**
 * The operator desk: internal notes on a person's conversation (never sent to the person) and
 * the bot's saved answers operators pick from.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('conversation_notes', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    // The conversation's key (conversations.person_key): a linked person's notes follow them across channels.
    t.string('person_key', 220).notNullable();
    t.string('session_id', 40).notNullable();
    t.string('author', 254).notNullable();
    t.text('text').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id', 'person_key', 'id']);
  });

  await db.schema.createTable('canned_answers', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('title', 100).notNullable();
    t.text('text').notNullable();
    // JSON array of strings: the quick replies sent with the text.
    t.text('quick_replies').notNullable().defaultTo('[]');
    t.string('updated_by', 254).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['bot_id', 'title']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('canned_answers');
  await db.schema.dropTableIfExists('conversation_notes');
}
