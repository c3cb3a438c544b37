import type { Knex } from 'knex';

/**
 * Answers decided by the workflow: subscriptions that answer endpoint calls (a Metabot Trigger that
 * responds through a node), deliveries that carry a call waiting for its answer, and one row per
 * such call holding its fallback and, once decided, its final answer.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('subscriptions', (t) => {
    t.boolean('answers').notNullable().defaultTo(false);
  });
  await db.schema.alterTable('event_deliveries', (t) => {
    // Made at once by the answers loop, never behind other deliveries of its chain (order_key is null).
    t.boolean('answering').notNullable().defaultTo(false);
  });
  // Claiming answering deliveries reads only them, however large a backlog of ordinary ones grows.
  await db.raw("create index event_deliveries_answering on event_deliveries (next_attempt_at) where status = 'pending' and answering");

  await db.schema.createTable('call_answers', (t) => {
    t.bigInteger('event_id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('trace_id', 64).notNullable();
    // 'waiting' until decided, then 'answered' (by a workflow) or 'fallback'; decided once.
    t.string('status', 16).notNullable();
    t.bigInteger('deadline').notNullable();
    t.text('fallback').notNullable();
    t.text('answer').nullable();
    t.text('reason').nullable();
    t.string('delivery_id', 40).nullable();
    t.bigInteger('decided_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('call_answers');
  await db.raw('drop index if exists event_deliveries_answering');
  await db.schema.alterTable('event_deliveries', (t) => t.dropColumn('answering'));
  await db.schema.alterTable('subscriptions', (t) => t.dropColumn('answers'));
}
