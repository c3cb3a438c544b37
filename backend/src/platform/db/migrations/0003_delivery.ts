import type { Knex } from 'knex';

/** Durable delivery: messages, one row per recipient (the outbox the workers claim), per-bot send state, Telegram bots. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('messages', (t) => {
    t.string('id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('trace_id', 64).notNullable();
    // The request as accepted: template text, params, buttons, image, parse mode, critical, channel.
    t.text('content').notNullable();
    t.boolean('critical').notNullable().defaultTo(false);
    // Send-and-wait: { resumeUrl, mode, timeoutSeconds }; resumed by the events capability.
    t.text('wait').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bot_id', 'created_at']);
  });

  await db.schema.createTable('message_recipients', (t) => {
    t.bigIncrements('id').primary();
    t.string('message_id', 40).notNullable().references('messages.id').onDelete('CASCADE');
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('lead_id', 40).notNullable();
    t.string('user_id', 200).nullable();
    t.string('channel', 32).notNullable();
    t.string('chat_id', 100).notNullable();
    // queued | sending | sent | deferred | failed | skipped
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    // When the row may be claimed next (queued, deferred until a pause ends, backing off).
    t.bigInteger('due_at').notNullable();
    // A claimed row whose lease ran out belongs to a process that died: it is claimed again.
    t.bigInteger('lease_until').nullable();
    t.string('external_id', 100).nullable();
    t.string('error', 1000).nullable();
    t.bigInteger('sent_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['status', 'due_at']);
    t.index(['bot_id', 'status', 'due_at']);
    t.index(['message_id', 'status']);
    t.index(['bot_id', 'chat_id', 'sent_at']);
  });

  // One row per bot: the next free send slot (a shared reservation clock, so several processes
  // together keep the bot's rate) and a bot-wide pause after Telegram's 429.
  await db.schema.createTable('delivery_bot_state', (t) => {
    t.integer('bot_id').primary().references('bots.id').onDelete('CASCADE');
    t.bigInteger('next_slot_at').notNullable().defaultTo(0);
    t.bigInteger('paused_until').notNullable().defaultTo(0);
  });

  await db.schema.createTable('telegram_bots', (t) => {
    t.integer('bot_id').primary().references('bots.id').onDelete('CASCADE');
    // AES-256-GCM: base64(iv).base64(tag).base64(ciphertext); never logged, never returned.
    t.text('token_encrypted').notNullable();
    t.string('webhook_secret', 64).notNullable();
    t.string('username', 200).nullable();
    // Long polling: the process holding an unexpired lease polls this bot (one poller per token).
    t.string('poll_owner', 64).nullable();
    t.bigInteger('poll_lease_until').nullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['telegram_bots', 'delivery_bot_state', 'message_recipients', 'messages']) {
    await db.schema.dropTableIfExists(table);
  }
}
