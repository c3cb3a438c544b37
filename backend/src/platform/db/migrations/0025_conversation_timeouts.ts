import type { Knex } from 'knex';

/**
 * Operator timeouts and CSAT after a close. `operator_due_at` is when a conversation waiting for
 * an operator (or assigned and not yet answered) times out: set by the transition that starts the
 * wait, cleared by an operator's reply or any change of state, and found by the conversations
 * worker through its index, so a restart loses no timeout. `csat_*` is the rating question of the
 * last closed session, still unanswered; `conversation_ratings` keeps each answer with the
 * operator and team of that session, for CSAT per operator and per team.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('conversations', (t) => {
    t.bigInteger('operator_due_at').nullable();
    t.string('csat_session_id', 40).nullable();
    t.string('csat_operator', 254).nullable();
    t.string('csat_team', 64).nullable();
    t.index(['operator_due_at']);
  });
  await db.schema.createTable('conversation_ratings', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('session_id', 40).notNullable();
    t.primary(['bot_id', 'session_id']);
    t.string('lead_id', 40).notNullable();
    t.string('operator', 254).nullable();
    t.string('team', 64).nullable();
    t.integer('rating').notNullable();
    t.bigInteger('rated_at').notNullable();
    t.index(['bot_id', 'rated_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('conversation_ratings');
  await db.schema.alterTable('conversations', (t) => {
    t.dropIndex(['operator_due_at']);
    t.dropColumn('csat_team');
    t.dropColumn('csat_operator');
    t.dropColumn('csat_session_id');
    t.dropColumn('operator_due_at');
  });
}
