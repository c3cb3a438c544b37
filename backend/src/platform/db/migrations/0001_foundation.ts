import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('bots', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable();
    t.string('timezone', 64).notNullable().defaultTo('UTC');
    t.text('settings').notNullable().defaultTo('{}');
    t.bigInteger('created_at').notNullable();
  });

  await db.schema.createTable('api_tokens', (t) => {
    t.string('id', 40).primary();
    t.string('hash', 64).notNullable().unique();
    t.integer('bot_id').nullable().references('bots.id').onDelete('CASCADE');
    t.string('name', 200).notNullable().defaultTo('');
    t.text('aliases').notNullable();
    t.text('scopes').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    t.bigInteger('revoked_at').nullable();
  });

  await db.schema.createTable('communication_maps', (t) => {
    t.increments('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.text('document').notNullable();
    t.string('author', 200).notNullable();
    t.string('comment', 1000).notNullable().defaultTo('');
    t.integer('rolled_back_from').nullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['bot_id', 'version']);
  });

  await db.schema.createTable('idempotency_keys', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('key', 200).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('status_code').notNullable();
    t.text('response').notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['bot_id', 'key']);
    t.index(['created_at']);
  });

  // The durable event outbox: every event is written here once, in the same transaction as the
  // change that caused it, and delivered from here.
  await db.schema.createTable('events', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('type', 64).notNullable();
    t.string('trace_id', 64).notNullable();
    t.string('lead_id', 64).nullable();
    t.string('user_id', 200).nullable();
    t.string('alias', 200).nullable();
    t.text('payload').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id', 'id']);
    t.index(['trace_id']);
  });

  await db.schema.createTable('trace_hops', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('trace_id', 64).notNullable();
    t.string('hop', 64).notNullable();
    t.string('status', 32).notNullable();
    t.string('source_system', 100).nullable();
    t.string('alias', 200).nullable();
    t.string('user_id', 200).nullable();
    t.string('lead_id', 64).nullable();
    t.integer('latency_ms').nullable();
    t.text('detail').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id', 'trace_id', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['trace_hops', 'events', 'idempotency_keys', 'communication_maps', 'api_tokens', 'bots']) {
    await db.schema.dropTableIfExists(table);
  }
}
