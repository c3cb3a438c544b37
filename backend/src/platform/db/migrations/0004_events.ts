import type { Knex } from 'knex';

/** Subscriptions of n8n workflows to a bot's events, and one delivery per event × matching subscription. */
export async function up(db: Knex): Promise<void> {
  // null: not yet fanned out; 'matched': deliveries exist; 'unmatched': no subscription wanted it
  // (kept for EVENT_RETENTION_HOURS and handed to a matching subscription created in that window).
  await db.schema.alterTable('events', (t) => {
    t.string('fanout', 16).nullable();
    t.index(['fanout', 'id']);
  });
  await db('events').update({ fanout: 'unmatched' });

  await db.schema.createTable('subscriptions', (t) => {
    t.string('id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('url', 2000).notNullable();
    t.text('events').notNullable();
    t.text('aliases').notNullable();
    // The signing secret; AES-256-GCM sealed when SECRET_KEY is set.
    t.text('secret').notNullable();
    // Set once the fan-out has handed this subscription the unmatched events of the retention window.
    t.bigInteger('adopted_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id']);
    t.index(['adopted_at']);
  });

  await db.schema.createTable('event_deliveries', (t) => {
    t.string('id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('subscription_id', 40).notNullable().references('subscriptions.id').onDelete('CASCADE');
    t.bigInteger('event_id').notNullable().references('events.id').onDelete('CASCADE');
    // Deliveries with the same key (lead, else user, else alias) reach a subscription in event order.
    t.string('order_key', 300).nullable();
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.text('last_error').nullable();
    t.integer('last_status_code').nullable();
    t.bigInteger('delivered_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['subscription_id', 'event_id']);
    // Partial indexes over pending rows only, so claiming stays index-driven however many are done
    // (and a fresh table without planner statistics does not get a nested scan).
    const pending = db.whereRaw("status = 'pending'");
    t.index(['next_attempt_at', 'event_id'], 'event_deliveries_due', { predicate: pending });
    t.index(['subscription_id', 'order_key', 'event_id'], 'event_deliveries_chain', { predicate: pending });
    t.index(['bot_id', 'status', 'event_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('event_deliveries');
  await db.schema.dropTableIfExists('subscriptions');
  await db.schema.alterTable('events', (t) => {
    t.dropIndex(['fanout', 'id']);
    t.dropColumn('fanout');
  });
}
