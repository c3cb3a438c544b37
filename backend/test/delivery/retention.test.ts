import { purgeFinishedRecipients } from '../../src/delivery/retention';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

const DAY = 86_400_000;

describe(`delivery retention (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const clock = new ManualClock();
  let next = 0;

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false', HISTORY_RETENTION_DAYS: '30' } });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  /** A message created `ageDays` ago with one recipient row per status, last touched then. */
  async function message(ageDays: number, statuses: string[], bot = botId): Promise<string> {
    const id = `msg_r${++next}`;
    const at = clock.now() - ageDays * DAY;
    await backend.ctx.db('messages').insert({ id, bot_id: bot, trace_id: `t${next}`, content: '{"text":"x","params":{},"channel":"last"}', critical: false, created_at: at });
    await backend.ctx.db.batchInsert('message_recipients', statuses.map((status, i) => ({ message_id: id, bot_id: bot, lead_id: `ld_${next}_${i}`, channel: 'telegram', chat_id: `${next}${i}`, status, attempts: 1, due_at: at, updated_at: at })), 500);
    return id;
  }
  const statusOf = (id: string) => backend.request('GET', `/api/v1/bots/${botId}/messages/${id}`, { token });
  const rows = async (id: string) => (await backend.ctx.db('message_recipients').where({ message_id: id }).select('status')).map((r: { status: string }) => r.status).sort();

  it('purges finished recipients past the retention, then messages left with none; keeps anything still to send', async () => {
    const done = await message(40, ['sent', 'failed', 'skipped']);
    const half = await message(40, ['sent', 'deferred', 'queued']);
    const recent = await message(10, ['sent']);
    expect(await purgeFinishedRecipients(backend.ctx)).toBe(false);

    expect(await rows(done)).toEqual([]);
    expect((await statusOf(done)).status).toBe(404);
    expect(await rows(half)).toEqual(['deferred', 'queued']);
    expect((await statusOf(half)).body.message.counts).toMatchObject({ queued: 1, deferred: 1, sent: 0 });
    expect(await rows(recent)).toEqual(['sent']);

    clock.advance(21 * DAY);
    await purgeFinishedRecipients(backend.ctx);
    expect((await statusOf(recent)).status).toBe(404);
    expect(await rows(half)).toEqual(['deferred', 'queued']);
  });

  it('works in batches and says when there is more', async () => {
    const many = Array.from({ length: 5001 }, () => 'sent');
    const id = await message(60, many);
    expect(await purgeFinishedRecipients(backend.ctx)).toBe(true);
    expect(await rows(id)).toHaveLength(1);
    expect(await purgeFinishedRecipients(backend.ctx)).toBe(false);
    expect((await statusOf(id)).status).toBe(404);
  });

  it("purges every bot's finished rows, bot by bot", async () => {
    const other = (await backend.createBot()).botId;
    const mine = await message(40, ['sent']);
    const theirs = await message(40, ['failed', 'queued'], other);
    expect(await purgeFinishedRecipients(backend.ctx)).toBe(false);
    expect(await rows(mine)).toEqual([]);
    expect(await rows(theirs)).toEqual(['queued']);
  });
});
