import type { Knex } from 'knex';

/** The template library: every version of every named template of a bot; the highest version is current. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('message_templates', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('name', 100).notNullable();
    t.integer('version').notNullable();
    t.text('content').notNullable();
    t.string('author', 200).notNullable();
    t.text('comment').notNullable();
    t.integer('rolled_back_from').nullable();
    t.bigInteger('created_at').notNullable();
    // Also the guard against two writers taking the same next version.
    t.primary(['bot_id', 'name', 'version']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('message_templates');
}
