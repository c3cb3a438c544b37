import { createTelegramBot, range, seedLinkedLeads, type StandinBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

describe(`POST /api/v1/bots/{botId}/messages against the Telegram stand-in (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  const send = (body: unknown, headers: Record<string, string> = {}) => backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body, headers });

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin);
    ({ botId, token, telegram } = await createTelegramBot(backend, standin));
    await seedLinkedLeads(backend.ctx.db, botId, range(100, 10));
  });
  afterAll(async () => {
    await backend.close();
    await standin.close();
  });

  it('delivers a templated message to users, persists it first and reports every recipient', async () => {
    const res = await send({ userIds: ['u100', 'u101', 'nobody'], text: 'Hi {{ lead.firstName }}, {{ params.offer }} for {{ lead.attributes.tier }} ({{ user.userId }})', params: { offer: '10% off' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ success: true, messageId: expect.stringMatching(/^msg_/), queued: 2, deferred: 0, unknown: ['nobody'], inactive: [], trace_id: expect.any(String) });
    const status = await waitUntilDone(backend, botId, token, res.body.messageId);
    expect(status.counts).toEqual({ queued: 0, scheduled: 0, sent: 2, deferred: 0, failed: 0, skipped: 0, cancelled: 0 });
    expect(status.recipients).toEqual(expect.arrayContaining([expect.objectContaining({ userId: 'u100', status: 'sent', attempts: 1, error: null, sentAt: expect.any(Number) })]));
    expect(telegram.messagesTo(100).map((m) => m.text)).toEqual(['Hi Name100, 10% off for silver (u100)']);
    expect(telegram.messagesTo(101).map((m) => m.text)).toEqual(['Hi Name101, 10% off for gold (u101)']);

    const trace = await backend.request('GET', `/api/v1/bots/${botId}/traces/${res.body.trace_id}`, { token });
    expect(trace.body.hops.map((h: { hop: string }) => h.hop)).toEqual(['message.queued', 'message.sent', 'message.sent']);
    const events = await backend.ctx.db('events').where({ bot_id: botId, type: 'message.sent', trace_id: res.body.trace_id });
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0].payload)).toMatchObject({ messageId: res.body.messageId, channel: 'telegram', externalId: expect.any(String) });
  });

  it('sends callback and URL buttons, an image with a caption, and escapes values for the parse mode', async () => {
    await backend.ctx.db('leads').where({ bot_id: botId, chat_id: '102' }).update({ first_name: '<Tom & Co>' });
    const res = await send({
      leadIds: [(await backend.ctx.db('leads').where({ bot_id: botId, chat_id: '102' }).first()).id],
      text: '<b>Hello {{ lead.firstName }}</b>',
      parseMode: 'HTML',
      buttons: [[{ text: 'Yes', data: 'answer:yes' }, { text: 'Open {{ params.site }}', url: 'https://example.com' }]],
      imageUrl: 'https://example.com/banner.png',
      params: { site: 'shop' },
    });
    expect(res.status).toBe(202);
    await waitUntilDone(backend, botId, token, res.body.messageId);
    const [sent] = telegram.messagesTo(102);
    expect(sent).toMatchObject({ method: 'sendPhoto', photo: 'https://example.com/banner.png', caption: '<b>Hello &lt;Tom &amp; Co&gt;</b>', parseMode: 'HTML' });
    expect(sent.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Yes', callback_data: 'answer:yes' }, { text: 'Open shop', url: 'https://example.com' }]] });
  });

  it('asks for the phone with the contact button (not together with inline buttons or quick replies)', async () => {
    const res = await send({ userIds: ['u104'], text: 'Share your phone to sign in', requestContact: { buttonText: 'Share my phone' } });
    expect(res.status).toBe(202);
    await waitUntilDone(backend, botId, token, res.body.messageId);
    expect(telegram.messagesTo(104).at(-1)!.replyMarkup).toEqual({ keyboard: [[{ text: 'Share my phone', request_contact: true }]], resize_keyboard: true, one_time_keyboard: true });
    const both = await send({ userIds: ['u104'], text: 'x', requestContact: { buttonText: 'Share' }, buttons: [[{ text: 'Yes', data: 'y' }]] });
    expect(both.status).toBe(422);
    expect(both.body.errors).toEqual([{ path: 'requestContact', message: 'the contact button goes without inline buttons or quick replies' }]);
  });

  it('answers a template error with 422 before anything is queued', async () => {
    const before = await backend.ctx.db('messages').count({ n: '*' }).first();
    for (const text of ['Hi {{ lead.firstName | no_such_filter }}', 'Hi {% if %}', '{{ lead.firstName ']) {
      const res = await send({ userIds: ['u103'], text });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ success: false, message: 'Template error', errors: [{ path: 'text', message: expect.any(String) }] });
    }
    const include = await send({ userIds: ['u103'], text: "{% include '/etc/passwd' %}" });
    expect(include.status).toBe(422);
    expect(await backend.ctx.db('messages').count({ n: '*' }).first()).toEqual(before);
  });

  it('checks the rendered length with the first recipients\' own attributes, and writes one row per lead whatever the ids repeat', async () => {
    const lead = (chatId: number) => backend.ctx.db('leads').where({ bot_id: botId, chat_id: String(chatId) }).first();
    const [long, other] = [await lead(107), await lead(108)];
    await backend.ctx.db('leads').where({ id: long.id }).update({ attributes: JSON.stringify({ tier: 'x'.repeat(5000) }) });
    const tooLong = await send({ userIds: ['u108', 'u107'], text: '{{ lead.attributes.tier }}' });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.message).toBe(`Message too long for Telegram (rendered for lead ${long.id})`);

    const res = await send({ userIds: ['u108', 'ghost', 'u108'], leadIds: [other.id, 'ld_nope'], text: 'Once {{ lead.firstName }}' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ queued: 1, deferred: 0, inactive: [] });
    expect([...res.body.unknown].sort()).toEqual(['ghost', 'ld_nope']);
    const status = await waitUntilDone(backend, botId, token, res.body.messageId);
    expect(status.recipients).toEqual([expect.objectContaining({ leadId: other.id, userId: 'u108', status: 'sent' })]);
    expect(telegram.messagesTo(108).map((m) => m.text)).toEqual(['Once Name108']);
  });

  it('validates the body and lists every problem', async () => {
    const res = await send({ text: 5, buttons: [[{ text: 'x', data: 'y'.repeat(65) }]], wait: { mode: 'nope' } });
    expect(res.status).toBe(422);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['text', 'buttons.0.0.data', 'wait.resumeUrl', 'wait.mode']));
  });

  it('answers "User not found" when nobody is reachable, and dry run queues nothing', async () => {
    const none = await send({ userIds: ['ghost-1', 'ghost-2'], text: 'hi' });
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ success: false, message: 'User not found', inactive: [] });
    expect([...none.body.unknown].sort()).toEqual(['ghost-1', 'ghost-2']);

    const before = telegram.messages.length;
    const dry = await send({ userIds: ['u104', 'ghost'], text: 'hi' }, { 'X-Dry-Run': 'true' });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ success: true, dry_run: true, queued: 1, unknown: ['ghost'] });
    await new Promise((r) => setTimeout(r, 200));
    expect(telegram.messages.length).toBe(before);
  });

  it('an Idempotency-Key sends once, even for concurrent retries, and keeps the wait field', async () => {
    const body = { userIds: ['u105'], text: 'Pay your bill', wait: { resumeUrl: 'https://n8n.example/webhook-waiting/1', mode: 'buttons', timeoutSeconds: 600 }, buttons: [[{ text: 'Paid', data: 'paid' }]] };
    const answers = await Promise.all(range(0, 4).map(() => send(body, { 'Idempotency-Key': 'bill-7' })));
    const ids = new Set(answers.map((a) => a.body.messageId));
    expect(ids.size).toBe(1);
    const [messageId] = [...ids];
    const status = await waitUntilDone(backend, botId, token, messageId);
    expect(status.wait).toEqual(body.wait);
    expect(telegram.messagesTo(105)).toHaveLength(1);
    expect((await send({ ...body, text: 'other' }, { 'Idempotency-Key': 'bill-7' })).status).toBe(409);
  });

  it('sends with allow_paid_broadcast when the bot has paid broadcast on', async () => {
    await backend.ctx.db('bots').where({ id: botId }).update({ settings: JSON.stringify({ delivery: { allowPaidBroadcast: true } }) });
    const res = await send({ userIds: ['u106'], text: 'big news' });
    await waitUntilDone(backend, botId, token, res.body.messageId);
    expect(telegram.messagesTo(106)).toMatchObject([{ text: 'big news', paidBroadcast: true }]);
    await backend.ctx.db('bots').where({ id: botId }).update({ settings: '{}' });
  });

  it('needs the messages scope and answers 404 for an unknown message', async () => {
    const noScope = await backend.createBot({ scopes: ['tables'] });
    const res = await backend.request('POST', `/api/v1/bots/${noScope.botId}/messages`, { token: noScope.token, body: { userIds: ['x'], text: 'hi' } });
    expect(res.status).toBe(403);
    expect((await backend.request('GET', `/api/v1/bots/${botId}/messages/msg_unknown`, { token })).status).toBe(404);
  });
});
