import type { Knex } from 'knex';
import { phoneNumbers } from '../../config/phone-country';

/**
 * Phones are stored in E.164 (they were digits only; every stored one came from a Telegram contact,
 * which is international, so "+" + digits is the number). A stored value that is not a valid phone
 * is left as it was. User accounts get `profile`: the CRM user's data as last pushed by `users/update`.
 * Deliveries get an index by event, for the retention purge.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('user_accounts', (t) => {
    t.text('profile').notNullable().defaultTo('{}');
  });
  // The retention purge deletes events by id: their deliveries are found (and cascade) by event_id.
  await db.schema.alterTable('event_deliveries', (t) => {
    t.index(['event_id'], 'event_deliveries_event');
  });
  const rows = (await db('leads').whereNotNull('phone').select('id', 'phone')) as Array<{ id: string; phone: string }>;
  for (const row of rows) {
    if (row.phone.startsWith('+')) continue;
    const phone = phoneNumbers().parsePhoneNumberFromString(`+${row.phone}`, { extract: false });
    if (phone?.isValid()) await db('leads').where({ id: row.id }).update({ phone: phone.number });
  }
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('event_deliveries', (t) => {
    t.dropIndex(['event_id'], 'event_deliveries_event');
  });
  await db('leads').whereNotNull('phone').update({ phone: db.raw("replace(phone, '+', '')") });
  await db.schema.alterTable('user_accounts', (t) => {
    t.dropColumn('profile');
  });
}
