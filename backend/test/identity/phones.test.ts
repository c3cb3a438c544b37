import { loadConfig } from '../../src/platform/config/config';
import { updateBotSettings } from '../../src/bots/bots';
import { migrationSource } from '../../src/platform/db/migrations/index';
import { handleInbound } from '../../src/inbound/inbound';
import { toE164 } from '../../src/identity/phones';
import { createTelegramBot, type TelegramStandin, useStandinBackend } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

describe('phone numbers to E.164', () => {
  it.each([
    ['8 918 123-45-67', 'RU', '+79181234567'],
    ['+7 918 123 45 67', 'RU', '+79181234567'],
    ['79181234567', 'RU', '+79181234567'],
    ['8(918)1234567', 'RU', '+79181234567'],
    ['918 123 45 67', 'RU', '+79181234567'],
    ['+49 151 12345678', 'RU', '+4915112345678'],
    ['4915112345678', 'RU', '+4915112345678'],
    ['00 49 151 12345678', 'RU', '+4915112345678'],
    ['030 1234567', 'DE', '+49301234567'],
    ['(415) 555-2671', 'US', '+14155552671'],
  ] as const)('%s read in %s is %s', (text, country, e164) => {
    expect(toE164(text, country)).toBe(e164);
  });

  it.each(['', 'hello', '123', '+7 918', '8 918 123-45-67 and more', '+0 000 000'])('%j is not a phone number', (text) => {
    expect(toE164(text, 'RU')).toBeUndefined();
  });

  it('DEFAULT_PHONE_COUNTRY is a country libphonenumber knows, RU unless set', () => {
    expect(loadConfig({}).DEFAULT_PHONE_COUNTRY).toBe('RU');
    expect(loadConfig({ DEFAULT_PHONE_COUNTRY: 'de' }).DEFAULT_PHONE_COUNTRY).toBe('DE');
    expect(() => loadConfig({ DEFAULT_PHONE_COUNTRY: 'XX' })).toThrow(/DEFAULT_PHONE_COUNTRY: must be a two-letter country code/);
  });
});

describe(`phones in the identity map (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let update = 0;
  const setup = useStandinBackend();
  beforeAll(async () => {
    ({ standin, backend } = setup);
    ({ botId, token } = await backend.createBot());
  });

  const find = (phone: string, bot = botId, auth = token) => backend.request('GET', `/api/v1/bots/${bot}/leads?phone=${encodeURIComponent(phone)}`, { token: auth });
  const share = (bot: number, chatId: string, phone: string) =>
    handleInbound(backend.ctx, { botId: bot, channel: 'webchat', updateId: `u${++update}`, chatId, kind: 'contact', phone, isOwn: true, verified: false });

  it('"8 918 123-45-67" and "+7 918 123 45 67" are the same person', async () => {
    await share(botId, 'w1', '8 918 123-45-67');
    const stored = await backend.ctx.db('leads').where({ bot_id: botId, chat_id: 'w1' }).first();
    expect(stored.phone).toBe('+79181234567');
    for (const written of ['+7 918 123 45 67', '8 918 123-45-67', '79181234567', '+7 (918) 123-45-67']) {
      expect((await find(written)).body.leads.map((l: { chatId: string }) => l.chatId)).toEqual(['w1']);
    }
  });

  it('a lookup by something that is not a phone number is a clear 422', async () => {
    const junk = await find('call me maybe');
    expect(junk.status).toBe(422);
    expect(junk.body).toMatchObject({ success: false, message: 'Invalid phone number', errors: [{ path: 'phone', message: expect.stringMatching(/not a valid phone number.*RU/) }] });
    expect((await find('12')).status).toBe(422);
  });

  it('an invalid shared phone is not stored; the event says so', async () => {
    await share(botId, 'w2', '12345');
    expect((await backend.ctx.db('leads').where({ bot_id: botId, chat_id: 'w2' }).first()).phone).toBeNull();
    const event = await backend.ctx.db('events').where({ bot_id: botId, type: 'contact.shared' }).orderBy('id', 'desc').first();
    expect(JSON.parse(event.payload).contact).toMatchObject({ phone: '12345', valid: false });
  });

  it('a bot reads national numbers in its own default country', async () => {
    const german = await backend.createBot();
    await updateBotSettings(backend.ctx, german.botId, { identity: { defaultPhoneCountry: 'DE' } });
    await share(german.botId, 'w3', '030 1234567');
    expect((await find('+49 30 1234567', german.botId, german.token)).body.leads).toHaveLength(1);
    expect((await find('030 1234567', german.botId, german.token)).body.leads).toHaveLength(1);
    // The same digits are no Russian number: the RU-default bot says so.
    expect((await find('030 1234567')).status).toBe(422);
  });

  it('a Telegram contact (international, without "+") is read as such whatever the default country', async () => {
    const telegramBot = await createTelegramBot(backend, standin);
    await updateBotSettings(backend.ctx, telegramBot.botId, { identity: { defaultPhoneCountry: 'DE' } });
    backend.ctx.wakeups.wake('telegram');
    telegramBot.telegram.shareContact(9101, '79181234567');
    const deadline = Date.now() + 8000;
    let lead: { phone: string | null } | undefined;
    while (!lead?.phone && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      lead = await backend.ctx.db('leads').where({ bot_id: telegramBot.botId, chat_id: '9101' }).first();
    }
    expect(lead?.phone).toBe('+79181234567');
  });

  it('migration 0008 turns stored digits into E.164 and leaves what is not a phone', async () => {
    const db = backend.ctx.db;
    // By name: later migrations stay applied while this one is undone and run again.
    await db.migrate.down({ migrationSource, name: '0008_phones_and_user_profiles' });
    expect((await db('leads').where({ bot_id: botId, chat_id: 'w1' }).first()).phone).toBe('79181234567');
    await db('leads').where({ bot_id: botId, chat_id: 'w2' }).update({ phone: '12345' });
    await db.migrate.latest({ migrationSource });
    expect((await db('leads').where({ bot_id: botId, chat_id: 'w1' }).first()).phone).toBe('+79181234567');
    expect((await db('leads').where({ bot_id: botId, chat_id: 'w2' }).first()).phone).toBe('12345');
    expect((await find('8 918 123-45-67')).body.leads).toHaveLength(1);
  });
});
