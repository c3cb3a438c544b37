import { migrationSource } from '../../src/platform/db/migrations/index';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/**
 * `message_recipients.message_id → messages.id`: a foreign key on SQLite, statement-level
 * triggers on PostgreSQL (migration 0032). Both keep the same promises.
 */
describe(`a recipient row's message (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let next = 0;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId } = await backend.createBot());
  });
  afterAll(() => backend.close());

  const db = () => backend.ctx.db;
  async function message(bot = botId): Promise<string> {
    const id = `msg_k${++next}`;
    await db()('messages').insert({ id, bot_id: bot, trace_id: `t${next}`, content: '{}', critical: false, created_at: Date.now() });
    return id;
  }
  const row = (messageId: string, bot = botId) => ({ message_id: messageId, bot_id: bot, lead_id: `ld_k${++next}`, channel: 'telegram', chat_id: `${next}`, status: 'queued', attempts: 0, due_at: 0, updated_at: 0 });
  // Not `rejects.toThrow()`: better-sqlite3's errors can come from another test file's realm, and
  // jest then reads the rejection as "did not throw". A foreign key's refusal, or the triggers'.
  const outcome = (query: PromiseLike<unknown>) => Promise.resolve(query).then(() => 'written', (error: unknown) => (/foreign key constraint|names no message|does not change/i.test(String(error)) ? 'refused' : String(error)));
  const rowsOf = async (messageId: string) => Number((await db()('message_recipients').where({ message_id: messageId }).count({ n: '*' }))[0].n);

  it('refuses a statement with a row naming no message, and writes none of its rows', async () => {
    const known = await message();
    expect(await outcome(db()('message_recipients').insert([row(known), row('msg_none'), row(known)]))).toBe('refused');
    expect(await rowsOf(known)).toBe(0);
    await db()('message_recipients').insert([row(known), row(known)]);
    expect(await rowsOf(known)).toBe(2);
  });

  it('refuses moving a row to a message that does not exist', async () => {
    const known = await message();
    await db()('message_recipients').insert(row(known));
    expect(await outcome(db()('message_recipients').where({ message_id: known }).update({ message_id: 'msg_none' }))).toBe('refused');
    expect(await rowsOf(known)).toBe(1);
  });

  it("deletes a message's rows with it, and a bot's messages and their rows with the bot", async () => {
    const gone = await message();
    const kept = await message();
    await db()('message_recipients').insert([row(gone), row(gone), row(kept)]);
    await db()('messages').where({ id: gone }).delete();
    expect([await rowsOf(gone), await rowsOf(kept)]).toEqual([0, 1]);

    const [created] = await db()('bots').insert({ name: 'Leaving', timezone: 'UTC', settings: '{}', created_at: Date.now() }).returning('id');
    const leaving = typeof created === 'object' ? (created as { id: number }).id : (created as number);
    const theirs = await message(leaving);
    await db()('message_recipients').insert([row(theirs, leaving), row(theirs, leaving)]);
    await db()('bots').where({ id: leaving }).delete();
    expect([await rowsOf(theirs), await rowsOf(kept)]).toEqual([0, 1]);
  });

  // SQLite has one writer: the delete cannot run beside the insert at all.
  (dialect === 'postgresql' ? it : it.skip)('makes a delete of the message wait for the transaction writing its rows, which then go with it', async () => {
    const id = await message();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const rowsWritten = new Promise<void>((resolve) => (written = resolve));
    const writer = db().transaction(async (trx) => {
      await trx('message_recipients').insert([row(id), row(id)]);
      written();
      await released;
    });
    await rowsWritten;
    const refused = db().transaction(async (trx) => {
      await trx.raw("set local lock_timeout = '200ms'");
      await trx('messages').where({ id }).delete();
    });
    await expect(refused).rejects.toThrow(/lock timeout/);
    release();
    await writer;
    expect(await rowsOf(id)).toBe(2);
    await db()('messages').where({ id }).delete();
    expect(await rowsOf(id)).toBe(0);
  });

  it('keeps its rows and the promises through migration 0032 undone and done again', async () => {
    const id = await message();
    await db()('message_recipients').insert([row(id), row(id)]);
    await db().migrate.down({ migrationSource, name: '0032_recipient_indexes_and_message_key' });
    expect(await outcome(db()('message_recipients').insert(row('msg_none')))).toBe('refused');
    await db().migrate.latest({ migrationSource });
    expect(await outcome(db()('message_recipients').insert(row('msg_none')))).toBe('refused');
    expect(await rowsOf(id)).toBe(2);
  });
});
