import { createTelegramBot, range, seedLinkedLeads, type SeededLead, type StandinBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

describe(`message previews, language variants and the template library (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body, headers });
  const send = (body: unknown, headers: Record<string, string> = {}) => api('POST', '/messages', body, headers);

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin);
    ({ botId, token, telegram } = await createTelegramBot(backend, standin));
    leads = await seedLinkedLeads(backend.ctx.db, botId, range(300, 6));
    // 300: Russian from Telegram; 301: English from Telegram but a workflow chose Russian (the channel wins); 302: only the attribute.
    await backend.ctx.db('leads').where({ id: leads[0].leadId }).update({ language: 'ru' });
    await backend.ctx.db('leads').where({ id: leads[1].leadId }).update({ language: 'en', attributes: JSON.stringify({ tier: 'gold', language: 'ru' }) });
    await backend.ctx.db('leads').where({ id: leads[2].leadId }).update({ attributes: JSON.stringify({ tier: 'silver', language: 'ru' }) });
  });
  afterAll(async () => {
    await backend.close();
    await standin.close();
  });

  it('a dry run previews the rendered message for the first 3 recipients, with unknown placeholders and their positions, and queues nothing', async () => {
    const before = await backend.ctx.db('messages').count({ n: '*' }).first();
    const res = await send(
      { userIds: leads.map((l) => l.userId), text: 'Hi [[ lead.firstName ]] ([[ lead.attributes.tier ]]), [[ params.coupon ]]', parseMode: 'HTML', buttons: [[{ text: 'Take [[ params.offer ]]', data: 'take' }]], params: { offer: '10%' } },
      { 'X-Dry-Run': 'true' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, dry_run: true, messageId: null, queued: 6 });
    expect(res.body.preview).toHaveLength(3);
    expect(res.body.preview[0]).toEqual({
      leadId: leads[0].leadId,
      userId: 'u300',
      language: null,
      text: 'Hi Name300 (silver), ',
      parseMode: 'HTML',
      buttons: [[{ text: 'Take 10%', data: 'take' }]],
      unknown: [{ path: 'text', placeholder: 'params.coupon', line: 1, column: 58, message: '"params.coupon" has no value for this person' }],
    });
    expect(await backend.ctx.db('messages').count({ n: '*' }).first()).toEqual(before);
  });

  it('previews for a lead or user named in previewFor (?dry_run=true), even one the send does not reach', async () => {
    const res = await api('POST', '/messages?dry_run=true', { userIds: ['u300'], text: 'Hi {{ lead.firstName }}', previewFor: { leadId: leads[4].leadId } });
    expect(res.body.preview).toEqual([expect.objectContaining({ leadId: leads[4].leadId, text: 'Hi Name304', unknown: [] })]);
    const byUser = await send({ userIds: ['u300'], text: 'Hi {{ lead.firstName }}', previewFor: { userId: 'u305' } }, { 'X-Dry-Run': 'true' });
    expect(byUser.body.preview).toEqual([expect.objectContaining({ userId: 'u305', text: 'Hi Name305' })]);
    const nobody = await send({ userIds: ['u300'], text: 'x', previewFor: { userId: 'nobody' } }, { 'X-Dry-Run': 'true' });
    expect(nobody.status).toBe(422);
    expect(nobody.body.errors).toEqual([{ path: 'previewFor', message: 'nobody reachable has this id' }]);
  });

  it('answers a template error with 422, its position and words a marketer reads, before anything is queued', async () => {
    const res = await send({ userIds: ['u300'], text: 'Hi\n[[ lead.firstName | shout ]]' }, { 'X-Dry-Run': 'true' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ message: 'Template error', errors: [{ path: 'text', line: 2, column: 1, message: 'there is no filter "shout"' }] });
  });

  it('delivers each person the variant of their language (channel first, then the language attribute), else the default', async () => {
    const variants = { ru: { text: 'Привет, [[ lead.firstName ]]', buttons: [[{ text: 'Да', data: 'yes' }]] } };
    const res = await send({ userIds: ['u300', 'u301', 'u302', 'u303'], text: 'Hello, [[ lead.firstName ]]', buttons: [[{ text: 'Yes', data: 'yes' }]], variants });
    expect(res.status).toBe(202);
    await waitUntilDone(backend, botId, token, res.body.messageId);
    expect(telegram.messagesTo(300).at(-1)).toMatchObject({ text: 'Привет, Name300', replyMarkup: { inline_keyboard: [[{ text: 'Да', callback_data: 'yes' }]] } });
    expect(telegram.messagesTo(301).at(-1)).toMatchObject({ text: 'Hello, Name301', replyMarkup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] } });
    expect(telegram.messagesTo(302).at(-1)!.text).toBe('Привет, Name302');
    expect(telegram.messagesTo(303).at(-1)!.text).toBe('Hello, Name303');
    const bad = await send({ userIds: ['u300'], text: 'x', variants: { RU: { text: 'y' } } });
    expect(bad.status).toBe(422);
  });

  it('keeps library versions with history, diff and rollback; a template error is refused when saved', async () => {
    const v1 = await api('POST', '/templates/welcome', { content: { text: 'Welcome, [[ lead.firstName ]]!', variants: { ru: { text: 'Добро пожаловать, [[ lead.firstName ]]!' } } }, comment: 'first' });
    expect(v1.status).toBe(201);
    expect(v1.body.template).toMatchObject({ name: 'welcome', version: 1, comment: 'first', author: expect.stringMatching(/^token:/) });
    const v2 = await api('POST', '/templates/welcome', { content: { text: 'Hello again, [[ lead.firstName ]]!' }, author: 'anna' });
    expect(v2.body.template).toMatchObject({ version: 2, author: 'anna' });

    const broken = await api('POST', '/templates/welcome', { content: { text: '[% if %]' } });
    expect(broken.status).toBe(422);
    expect(broken.body.errors[0]).toMatchObject({ path: 'content.text', line: 1, column: 6, message: 'a value is missing here' });

    expect((await api('GET', '/templates')).body.templates).toEqual([expect.objectContaining({ name: 'welcome', version: 2 })]);
    expect((await api('GET', '/templates/welcome/versions')).body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await api('GET', '/templates/welcome?version=1')).body.template.content.text).toBe('Welcome, [[ lead.firstName ]]!');
    const diff = await api('GET', '/templates/welcome/diff?from=1&to=2');
    expect(diff.body.diff.changes).toEqual(
      expect.arrayContaining([
        { type: 'change', path: 'text', oldValue: 'Welcome, [[ lead.firstName ]]!', value: 'Hello again, [[ lead.firstName ]]!' },
        { type: 'remove', path: 'variants', oldValue: { ru: { text: 'Добро пожаловать, [[ lead.firstName ]]!' } } },
      ]),
    );
    const rolled = await api('POST', '/templates/welcome/rollback', { version: 1 });
    expect(rolled.body.template).toMatchObject({ version: 3, rolledBackFrom: 1, comment: 'Rollback to version 1', content: v1.body.template.content });
    expect((await api('GET', '/templates/nope')).status).toBe(404);
    expect((await api('GET', '/templates/Bad%20Name')).status).toBe(422);
  });

  it('a send names a library template: the next send renders the new version, a queued message keeps the text it was accepted with', async () => {
    await api('POST', '/templates/promo', { content: { text: 'Sale: [[ params.pct ]] off' } });
    // u304 is paused, so the first send waits in the queue while the template changes.
    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: 'u304' }).update({ paused_until: Date.now() + 3_600_000 });
    const waiting = await send({ userIds: ['u304'], template: { name: 'promo' }, params: { pct: '20%' } });
    expect(waiting.body).toMatchObject({ queued: 0, deferred: 1 });
    await api('POST', '/templates/promo', { content: { text: 'New sale: [[ params.pct ]] off' } });

    const next = await send({ userIds: ['u305'], template: { name: 'promo' }, params: { pct: '30%' } });
    await waitUntilDone(backend, botId, token, next.body.messageId);
    expect(telegram.messagesTo(305).at(-1)!.text).toBe('New sale: 30% off');
    const pinned = await send({ userIds: ['u305'], template: { name: 'promo', version: 1 }, params: { pct: '5%' } });
    await waitUntilDone(backend, botId, token, pinned.body.messageId);
    expect(telegram.messagesTo(305).at(-1)!.text).toBe('Sale: 5% off');

    // The pause ends: the waiting message goes out with the version it was accepted with.
    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: 'u304' }).update({ paused_until: null });
    await backend.ctx.db('message_recipients').where({ message_id: waiting.body.messageId }).update({ status: 'queued', due_at: Date.now() });
    await waitUntilDone(backend, botId, token, waiting.body.messageId);
    expect(telegram.messagesTo(304).at(-1)!.text).toBe('Sale: 20% off');

    const unknown = await send({ userIds: ['u305'], template: { name: 'missing' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ path: 'template', message: 'there is no template "missing"' }]);
    const both = await send({ userIds: ['u305'], template: { name: 'promo' }, text: 'x' });
    expect(both.status).toBe(422);
  });
});
