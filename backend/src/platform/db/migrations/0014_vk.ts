import type { Knex } from 'knex';

/**
 * VK communities: a bot's community (group id), its sealed token and Callback API secrets, the
 * community's short name (vk.me deep links), and the Bots Long Poll lease and position.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('vk_bots', (t) => {
    t.integer('bot_id').primary().references('bots.id').onDelete('CASCADE');
    // One community answers one bot: updates name the group, and two bots on it would steal each other's people.
    t.bigInteger('group_id').notNullable().unique();
    // AES-256-GCM of {accessToken, secretKey, confirmationCode}; never logged, never returned.
    t.text('credentials_encrypted').notNullable();
    t.string('screen_name', 100).nullable();
    // Bots Long Poll allows one reader per community that matters: one process polls, by lease.
    t.string('poll_owner', 200).nullable();
    t.bigInteger('poll_lease_until').nullable();
    // The last Long Poll `ts` whose events were all stored: a restart continues from it.
    t.string('poll_ts', 40).nullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('vk_bots');
}
