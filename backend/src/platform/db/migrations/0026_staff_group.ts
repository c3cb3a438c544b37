import type { Knex } from 'knex';

/**
 * Operators in a Telegram staff group (a forum supergroup): the topic each handed-over person has
 * there, the posts waiting to go into topics (handover notices, the person's messages, replies
 * made elsewhere, the topic's closing), sent by the staff-group loop in order per person, and the
 * replies written in a topic (so they are not copied back into it).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('staff_topics', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    // The conversation's person_key: one topic per person, reopened on their next handover.
    t.string('person_key', 220).notNullable();
    t.primary(['bot_id', 'person_key']);
    t.string('chat_id', 40).nullable();
    t.integer('thread_id').nullable();
    // creating (one process claimed the createForumTopic call) | open | closed
    t.string('state', 16).notNullable();
    t.bigInteger('claimed_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['bot_id', 'chat_id', 'thread_id']);
  });

  await db.schema.createTable('staff_posts', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('person_key', 220).notNullable();
    // open (handover: the topic is made or reopened) | copy (into the topic) | close (then the topic is closed)
    t.string('kind', 16).notNullable();
    t.string('lead_id', 40).notNullable();
    t.text('text').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.bigInteger('leased_until').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['next_attempt_at']);
  });

  await db.schema.createTable('staff_replies', (t) => {
    // The messages-pipeline id of an operator's reply written in a topic, until its operator.replied is fanned out.
    t.string('message_id', 60).primary();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('staff_replies');
  await db.schema.dropTableIfExists('staff_posts');
  await db.schema.dropTableIfExists('staff_topics');
}
