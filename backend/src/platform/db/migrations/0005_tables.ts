import type { Knex } from 'knex';

/**
 * The catalogue of per-bot data tables. Each catalogued table is a real SQL table named
 * `dt_<botId>_<tableId>` whose user columns are named `c_<columnId>`: no identifier in SQL ever
 * comes from user text, so user names can be renamed or contain any letters.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('data_tables', (t) => {
    t.increments('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.string('physical_name', 64).nullable();
    t.text('indexes').notNullable().defaultTo('[]');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['bot_id', 'name']);
  });

  await db.schema.createTable('data_table_columns', (t) => {
    t.increments('id').primary();
    t.integer('table_id').notNullable().references('data_tables.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.string('type', 16).notNullable();
    t.boolean('nullable').notNullable().defaultTo(true);
    t.boolean('unique').notNullable().defaultTo(false);
    t.integer('position').notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['table_id', 'name']);
  });
}

export async function down(db: Knex): Promise<void> {
  const tables = (await db('data_tables').select('physical_name')) as Array<{ physical_name: string | null }>;
  for (const { physical_name: physical } of tables) if (physical) await db.schema.dropTableIfExists(physical);
  await db.schema.dropTableIfExists('data_table_columns');
  await db.schema.dropTableIfExists('data_tables');
}
