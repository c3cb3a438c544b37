import type { Knex } from 'knex';

/**
 * Less work per accepted recipient row (a send to 100,000 people writes 100,000 rows in one
 * statement; each index costs each row a b-tree insertion, PostgreSQL's foreign key a query).
 *
 * Indexes, the same on both databases (an index change rebuilds no table on SQLite), every query on
 * `message_recipients` staying on one:
 *  - (status, due_at) goes. Its two readers asked across bots — which bots have due rows (the
 *    worker), which finished rows are past retention (the purge); both now ask bot by bot through
 *    (bot_id, status, due_at), the claim's index, which holds the same entries under the bot id.
 *  - (bot_id, chat_id, sent_at) and (bot_id, external_id) hold only rows that have the value: a row
 *    gets its sent time and channel message id when it is sent, and their readers ask for
 *    `sent_at > ?` (per-chat pacing) and `external_id = ?` (WhatsApp receipts), which imply it, so
 *    both databases use the partial index. A new row, and the claim's rewrite of it, enter neither.
 * The names stay, so the migrations that made these indexes still undo them.
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
  if (db.client.config.client === 'pg') await messageKeyByStatement(db);
}

export async function down(db: Knex): Promise<void> {
  if (db.client.config.client === 'pg') await messageKeyByRow(db);
  for (const index of PARTIAL) {
    await db.raw(`drop index ${index.name}`);
    await db.raw(`create index ${index.name} on message_recipients (${index.columns})`);
  }
  await db.schema.alterTable('message_recipients', (t) => t.index(['status', 'due_at']));
}

/**
 * PostgreSQL: `message_recipients.message_id → messages.id` kept by statement-level triggers
 * instead of the foreign key. The key's check is a row trigger: one query per inserted row (half
 * a second for 100,000 rows under EXPLAIN, all naming the one message written just before). Here
 * one query per statement locks the messages the new rows name (`for key share`, as the key's check
 * does: a concurrent delete of one waits for this transaction) and refuses the statement unless
 * each exists. Deleting messages (the purge, a bot's cascade) deletes their rows in one statement,
 * as `on delete cascade` did; neither key column may change (the key refused that too, unless the
 * new value also existed; nothing updates them). SQLite keeps its foreign key: its check is an
 * in-process primary-key probe, and dropping it would rebuild the largest table.
 */
async function messageKeyByStatement(db: Knex): Promise<void> {
  await db.raw(`
    create function metabot_recipients_name_messages() returns trigger language plpgsql as $$
    declare
      named bigint;
      present bigint;
    begin
      with wanted as materialized (select distinct message_id as id from inserted),
           locked as (select m.id from messages m join wanted w on w.id = m.id for key share of m)
      select (select count(*) from wanted), (select count(*) from locked) into named, present;
      if present < named then
        raise exception using errcode = 'foreign_key_violation', message = 'message_recipients.message_id names no message';
      end if;
      return null;
    end $$`);
  await db.raw(`
    create function metabot_messages_delete_recipients() returns trigger language plpgsql as $$
    begin
      delete from message_recipients r using deleted d where r.message_id = d.id;
      return null;
    end $$`);
  await db.raw(`
    create function metabot_refuse_key_change() returns trigger language plpgsql as $$
    begin
      raise exception using errcode = 'foreign_key_violation', message = format('%s.%s does not change', tg_table_name, tg_argv[0]);
    end $$`);
  await db.raw('create trigger message_recipients_name_messages after insert on message_recipients referencing new table as inserted for each statement execute function metabot_recipients_name_messages()');
  await db.raw('create trigger messages_delete_recipients after delete on messages referencing old table as deleted for each statement execute function metabot_messages_delete_recipients()');
  await db.raw("create trigger message_recipients_message_id_fixed before update of message_id on message_recipients for each row when (old.message_id is distinct from new.message_id) execute function metabot_refuse_key_change('message_id')");
  await db.raw("create trigger messages_id_fixed before update of id on messages for each row when (old.id is distinct from new.id) execute function metabot_refuse_key_change('id')");
  await db.schema.alterTable('message_recipients', (t) => t.dropForeign(['message_id']));
}

async function messageKeyByRow(db: Knex): Promise<void> {
  await db.schema.alterTable('message_recipients', (t) => t.foreign('message_id').references('messages.id').onDelete('CASCADE'));
  await db.raw('drop trigger messages_id_fixed on messages');
  await db.raw('drop trigger message_recipients_message_id_fixed on message_recipients');
  await db.raw('drop trigger messages_delete_recipients on messages');
  await db.raw('drop trigger message_recipients_name_messages on message_recipients');
  await db.raw('drop function metabot_refuse_key_change()');
  await db.raw('drop function metabot_messages_delete_recipients()');
  await db.raw('drop function metabot_recipients_name_messages()');
}
