import type { Knex } from 'knex';

/**
 * Conversations: who owns a person's dialog (the bot's workflows, one holding workflow, an
 * operator), the session and its context variables, the messages an operator sees, and the
 * audience of an event (a person's message while a workflow holds the dialog reaches only it;
 * while a human has it, no workflow).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('conversations', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    // `user:<userId>` for a linked person (all their channels share it), else `lead:<leadId>`.
    t.string('person_key', 220).notNullable();
    t.primary(['bot_id', 'person_key']);
    // The chat the person last used: where an operator's reply goes for an unlinked person.
    t.string('lead_id', 40).notNullable();
    t.string('user_id', 200).nullable();
    // bot | held | waiting | assigned
    t.string('state', 16).notNullable();
    t.string('session_id', 40).notNullable();
    t.text('context').notNullable().defaultTo('{}');
    t.string('holder', 40).nullable();
    t.bigInteger('hold_expires_at').nullable();
    t.text('reason').nullable();
    t.string('team', 64).nullable();
    t.string('priority', 16).nullable();
    t.bigInteger('waiting_since').nullable();
    t.string('operator', 254).nullable();
    t.bigInteger('assigned_at').nullable();
    t.bigInteger('last_operator_reply_at').nullable();
    // Every change bumps it; a change is `update … where version = ?`, so of two racing changes one wins.
    t.integer('version').notNullable().defaultTo(1);
    t.bigInteger('opened_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['bot_id', 'state', 'waiting_since']);
  });

  await db.schema.createTable('conversation_messages', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('person_key', 220).notNullable();
    t.string('session_id', 40).notNullable();
    // in (the person wrote, tapped or shared a contact while a human had the dialog) | out (an operator's reply)
    t.string('direction', 8).notNullable();
    t.string('lead_id', 40).notNullable();
    t.string('channel', 20).notNullable();
    t.string('kind', 16).notNullable();
    t.text('body').notNullable();
    t.string('operator', 254).nullable();
    t.string('message_id', 60).nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id', 'person_key', 'id']);
  });

  await db.schema.alterTable('events', (t) => {
    // Null: every matching subscription; a subscription id: only it; `operator`: no workflow.
    t.string('audience', 40).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('events', (t) => t.dropColumn('audience'));
  await db.schema.dropTableIfExists('conversation_messages');
  await db.schema.dropTableIfExists('conversations');
}
