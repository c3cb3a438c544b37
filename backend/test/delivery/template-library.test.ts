import { createTelegramBot, range, seedLinkedLeads, type SeededLead, type StandinBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { createToken } from '../../src/bots/tokens';
import { profileFieldNamesInUse } from '../../src/identity/accounts';
import { attributeNamesInUse } from '../../src/identity/lead-directory';
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
  it('lists the placeholders a template may use: profile fields, the attribute names of the bot\'s leads, the user; with the messages scope only', async () => {
    await backend.ctx.db('leads').where({ id: leads[3].leadId }).update({ attributes: JSON.stringify({ 'last order': 'A-1', city: 'Riga' }) });
    const res = await api('GET', '/template-placeholders');
    expect(res.status).toBe(200);
    expect(res.body.complete).toBe(true);
    const paths = res.body.placeholders.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['lead.firstName', 'lead.language', 'user.userId']));
    // Each name once, sorted, in the form Liquid reads (a name with a space needs brackets).
    expect(res.body.placeholders.filter((p: { source: string }) => p.source === 'attribute').map((p: { path: string }) => p.path)).toEqual([
      'lead.attributes.city',
      'lead.attributes.language',
      'lead.attributes["last order"]',
      'lead.attributes.tier',
    ]);
    // The scan is bounded by leads read and names returned, and says when a bound cut it short.
    expect(await attributeNamesInUse(backend.ctx.db, botId, { leadsRead: 2, maxNames: 10 })).toMatchObject({ complete: false });
    expect(await attributeNamesInUse(backend.ctx.db, botId, { leadsRead: 100, maxNames: 2 })).toEqual({ names: ['city', 'language'], complete: false });
    const { token: tablesToken } = await createToken(backend.ctx, { botId, scopes: ['tables'] });
    expect((await backend.request('GET', `/api/v1/bots/${botId}/template-placeholders`, { token: tablesToken })).status).toBe(403);
    const other = await backend.createBot({ scopes: ['messages'] });
    expect((await backend.request('GET', `/api/v1/bots/${botId}/template-placeholders`, { token: other.token })).status).toBe(403);
  });

  it('renders the CRM user\'s profile (`user.profile.<field>`) in sends, buttons, variants, library templates and previews, and lists its field names', async () => {
    const pushed = await api('POST', '/users/u300/update', { fields: { firstName: 'Anna', 'loyalty tier': 'platinum' } });
    expect(pushed.status).toBe(200);
    await api('POST', '/users/u303/update', { fields: { firstName: 'Dan' } });

    // u300 gets the ru variant, u303 the default; u305 has no profile fields: empty, as any missing value.
    const variants = { ru: { text: 'Привет, [[ user.profile.firstName ]] ([[ user.profile["loyalty tier"] ]])' } };
    const res = await send({ userIds: ['u300', 'u303', 'u305'], text: 'Hi [[ user.profile.firstName ]]!', buttons: [[{ text: 'For [[ user.profile.firstName ]]', data: 'ok' }]], variants });
    expect(res.status).toBe(202);
    await waitUntilDone(backend, botId, token, res.body.messageId);
    expect(telegram.messagesTo(300).at(-1)).toMatchObject({ text: 'Привет, Anna (platinum)', replyMarkup: { inline_keyboard: [[{ text: 'For Anna', callback_data: 'ok' }]] } });
    expect(telegram.messagesTo(303).at(-1)).toMatchObject({ text: 'Hi Dan!', replyMarkup: { inline_keyboard: [[{ text: 'For Dan', callback_data: 'ok' }]] } });
    expect(telegram.messagesTo(305).at(-1)).toMatchObject({ text: 'Hi !', replyMarkup: { inline_keyboard: [[{ text: 'For ', callback_data: 'ok' }]] } });

    await api('POST', '/templates/profile-greeting', { content: { text: 'Welcome back, [[ user.profile.firstName ]] [[ user.profile.city ]]' } });
    const fromLibrary = await send({ userIds: ['u303'], template: { name: 'profile-greeting' } });
    await waitUntilDone(backend, botId, token, fromLibrary.body.messageId);
    expect(telegram.messagesTo(303).at(-1)!.text).toBe('Welcome back, Dan ');

    // The preview renders the profile and names each profile field the person lacks, with its position.
    const preview = await send({ userIds: ['u303', 'u300'], template: { name: 'profile-greeting' } }, { 'X-Dry-Run': 'true' });
    const byUser = new Map(preview.body.preview.map((p: { userId: string }) => [p.userId, p]));
    expect(byUser.get('u300')).toMatchObject({ text: 'Welcome back, Anna ', unknown: [{ path: 'text', placeholder: 'user.profile.city', line: 1, column: 47, message: '"user.profile.city" has no value for this person' }] });
    expect(byUser.get('u303')).toMatchObject({ text: 'Welcome back, Dan ' });
    const forNamed = await send({ userIds: ['u300'], text: '[[ user.profile["loyalty tier"] ]]', previewFor: { userId: 'u303' } }, { 'X-Dry-Run': 'true' });
    expect(forNamed.body.preview).toEqual([expect.objectContaining({ userId: 'u303', text: '', unknown: [expect.objectContaining({ placeholder: "user.profile['loyalty tier']", line: 1, column: 4 })] })]);

    const listed = await api('GET', '/template-placeholders');
    expect(listed.body.complete).toBe(true);
    expect(listed.body.placeholders.filter((p: { source: string }) => p.source === 'profile')).toEqual([
      { path: 'user.profile.firstName', source: 'profile', description: 'Field "firstName" of the CRM user\'s profile (users/update)' },
      { path: 'user.profile["loyalty tier"]', source: 'profile', description: 'Field "loyalty tier" of the CRM user\'s profile (users/update)' },
    ]);
    // Bounded like the attribute scan: accounts read and names returned, and it says when a bound cut it short.
    expect(await profileFieldNamesInUse(backend.ctx.db, botId, { accountsRead: 1, maxNames: 10 })).toMatchObject({ complete: false });
    expect(await profileFieldNamesInUse(backend.ctx.db, botId, { accountsRead: 100, maxNames: 1 })).toEqual({ names: ['firstName'], complete: false });
  });
});
