import type { Knex } from 'knex';

/**
 * Fewer index entries for every accepted recipient row (a send to 100,000 people writes 100,000
 * rows in one statement, and each index costs each row a b-tree insertion). Every query on
 * `message_recipients` stays on an index:
 *  - (status, due_at) goes. Its two readers asked across bots — which bots have due rows (the
 *    worker), which finished rows are past retention (the purge); both now ask bot by bot through
 *    (bot_id, status, due_at), the claim's index, which holds the same entries under the bot id.
 *  - (bot_id, chat_id, sent_at) and (bot_id, external_id) hold only rows that have the value: a row
 *    gets its sent time and channel message id when it is sent, and their readers ask for
 *    `sent_at > ?` (per-chat pacing) and `external_id = ?` (WhatsApp receipts), which imply it, so
 *    both databases use the partial index. A new row, and the claim's rewrite of it, enter neither.
 * The same on PostgreSQL and SQLite (an index change rebuilds no table on SQLite). The names stay,
 * so the migrations that made these indexes still undo them.
 */
const PARTIAL = [
  { name: 'message_recipients_bot_id_chat_id_sent_at_index', columns: 'bot_id, chat_id, sent_at', column: 'sent_at' },
  { name: 'message_recipients_bot_id_external_id_index', columns: 'bot_id, external_id', column: 'external_id' },
];

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('message_recipients', (t) => t.dropIndex(['status', 'due_at']));
  for (const index of PARTIAL) {
    await db.raw(`drop index ${index.name}`);
    await db.raw(`create index ${index.name} on message_recipients (${index.columns}) where ${index.column} is not null`);
  }
}

export async function down(db: Knex): Promise<void> {
  for (const index of PARTIAL) {
    await db.raw(`drop index ${index.name}`);
    await db.raw(`create index ${index.name} on message_recipients (${index.columns})`);
  }
  await db.schema.alterTable('message_recipients', (t) => t.index(['status', 'due_at']));
}
