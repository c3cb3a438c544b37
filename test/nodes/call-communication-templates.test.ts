import { waitUntilDone, type SeededLead, type StandinBot } from '../../backend/test/support/delivery';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';
import { startTelegramStand, type TelegramStand } from './support/telegram-stand';

describeWithN8n('Call Communication templates in the n8n engine: preview, library, languages, placeholders', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });

  let stand: TelegramStand;
  beforeAll(async () => {
    stand = await startTelegramStand({ chatIds: [7001, 7002, 7003], standin: { limits: { enabled: false } } });
    ({ backend, engine, botId, token, telegram, leads } = stand);
    await backend.ctx.db('leads').where({ id: leads[1].leadId }).update({ language: 'ru', attributes: JSON.stringify({ tier: 'gold', city: 'Riga' }) });
    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: leads[0].userId }).update({ profile: JSON.stringify({ firstName: 'Anna', 'loyalty tier': 'platinum' }) });
  }, 120_000);
  afterAll(() => stand?.close());

  const messageNode = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'Message',
    type: 'callCommunication',
    parameters: { resource: 'message', operation: 'send', recipientType: 'userIds', ...parameters },
    ...extra,
  });
  const messagesCount = async () => Number((await backend.ctx.db('messages').where({ bot_id: botId }).count({ n: '*' }).first())?.n);

  it('previews an expression-mode text that mixes a workflow value and per-person values: one item per person, nothing queued', async () => {
    const before = await messagesCount();
    const result = await engine.run(
      [
        messageNode({
          recipients: '={{ $json.users }}',
          text: '=Order {{ $json.orderId }} is ready, [[ lead.firstName ]]! [[ params.coupon ]]',
          options: { dryRun: true },
        }),
      ],
      { input: [{ users: [leads[0].userId, leads[1].userId], orderId: 4711 }] },
    );
    const output = result.output('Message');
    expect(output.map((item) => item.json.text)).toEqual(['Order 4711 is ready, Name7001! ', 'Order 4711 is ready, Name7002! ']);
    expect(output[0].json).toMatchObject({
      dry_run: true,
      leadId: leads[0].leadId,
      userId: leads[0].userId,
      language: null,
      unknown: [{ path: 'text', placeholder: 'params.coupon', line: 1, column: 47 }],
      recipients: { queued: 2, deferred: 0, unknown: [], inactive: [] },
    });
    expect(output.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
    expect(await messagesCount()).toBe(before);
  });

  it('previews for one person named in Preview For (of the Send To kind), including their language variant and translated button labels', async () => {
    const parameters = {
      recipients: leads[0].userId,
      text: 'Hello, [[ lead.firstName ]]',
      buttons: { button: [{ text: 'Yes', type: 'data', value: 'yes' }, { text: 'No', type: 'data', value: 'no', sameRow: true }] },
      variants: { variant: [{ language: 'RU', text: 'Привет, [[ lead.firstName ]] из [[ lead.attributes.city ]]', buttonLabels: 'Да\nНет' }] },
    };
    const byUser = await engine.run([messageNode({ ...parameters, options: { dryRun: true, previewFor: leads[1].userId } })]);
    expect(byUser.output('Message').map((item) => item.json)).toEqual([
      expect.objectContaining({ userId: leads[1].userId, language: 'ru', text: 'Привет, Name7002 из Riga', buttons: [[{ text: 'Да', data: 'yes' }, { text: 'Нет', data: 'no' }]] }),
    ]);
    const byLead = await engine.run([messageNode({ ...parameters, recipientType: 'leadIds', recipients: leads[0].leadId, options: { dryRun: true, previewFor: leads[2].leadId } })]);
    expect(byLead.output('Message').map((item) => item.json)).toEqual([expect.objectContaining({ leadId: leads[2].leadId, language: null, text: 'Hello, Name7003' })]);

    const mismatch = await engine.run([messageNode({ ...parameters, variants: { variant: [{ language: 'ru', text: 'Привет', buttonLabels: 'Да' }] } })]);
    expect(mismatch.error('Message')).toMatchObject({ message: 'Language variant "ru" has 1 button labels for 2 buttons' });
  });

  it('sends a real message in each person\'s language', async () => {
    const result = await engine.run([
      messageNode({
        recipients: `${leads[0].userId}, ${leads[1].userId}`,
        text: 'Hello, [[ lead.firstName ]]',
        variants: { variant: [{ language: 'ru', text: 'Привет, [[ lead.firstName ]]' }] },
      }),
    ]);
    await waitUntilDone(backend, botId, token, String(result.output('Message')[0].json.messageId));
    expect(telegram.messagesTo(7001).at(-1)!.text).toBe('Hello, Name7001');
    expect(telegram.messagesTo(7002).at(-1)!.text).toBe('Привет, Name7002');
  });

  it('explains a broken template in the marketer\'s words: which field, line and column; as an error item on Continue On Fail', async () => {
    const broken = {
      text: 'Hi\n[[ lead.firstName | shout ]]',
      buttons: { button: [{ text: 'Ok', type: 'data', value: 'ok' }, { text: 'Pay [[ params.sum | money ]]', type: 'data', value: 'pay', sameRow: true }] },
    };
    const failing = await engine.run([messageNode({ recipients: leads[0].userId, ...broken })]);
    expect(failing.error('Message')).toMatchObject({ name: 'NodeApiError', message: 'Template error' });
    expect(failing.error('Message')!.description).toMatch(/^Text, line 2, column 1: there is no filter "shout"; Trace ID: /);

    const buttonOnly = await engine.run([messageNode({ recipients: leads[0].userId, text: 'Hi', buttons: broken.buttons })]);
    expect(buttonOnly.error('Message')!.description).toMatch(/^Button 2, line 1, column 5: there is no filter "money"/);

    const before = await messagesCount();
    const continued = await engine.run([messageNode({ recipients: leads[0].userId, ...broken }, { onError: 'continueRegularOutput' })]);
    expect(continued.output('Message')[0].json).toMatchObject({ error: 'Template error', description: expect.stringMatching(/^Text, line 2, column 1: there is no filter "shout"/) });
    const waiting = await engine.run([messageNode({ operation: 'sendAndWait', recipients: leads[0].userId, responseType: 'text', timeoutMinutes: 5, text: broken.text }, { onError: 'continueRegularOutput' })]);
    expect(waiting.run.status).not.toBe('waiting');
    expect(waiting.output('Message')[0].json).toMatchObject({ error: 'Template error', description: expect.stringMatching(/^Text, line 2, column 1/) });
    expect(await messagesCount()).toBe(before);
  });

  it('sends a library template: the current version, then the new one after a change, while a queued message keeps its text', async () => {
    expect((await api('POST', '/templates/order-ready', { content: { text: 'Order [[ params.order ]] is ready, [[ lead.firstName ]]', buttons: [[{ text: 'Track', data: 'track' }]] } })).status).toBe(201);
    const fromLibrary = { templateSource: 'library', templateName: 'order-ready', options: { params: '={{ JSON.stringify({ order: $json.order }) }}' } };

    // The third person is paused: their message waits in the queue while the library changes.
    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: leads[2].userId }).update({ paused_until: Date.now() + 3_600_000 });
    const queued = await engine.run([messageNode({ ...fromLibrary, recipients: leads[2].userId })], { input: [{ order: 'A-1' }] });
    expect(queued.output('Message')[0].json).toMatchObject({ success: true, queued: 0, deferred: 1 });

    const first = await engine.run([messageNode({ ...fromLibrary, recipients: leads[0].userId })], { input: [{ order: 'A-2' }] });
    await waitUntilDone(backend, botId, token, String(first.output('Message')[0].json.messageId));
    expect(telegram.messagesTo(7001).at(-1)).toMatchObject({ text: 'Order A-2 is ready, Name7001', replyMarkup: { inline_keyboard: [[{ text: 'Track', callback_data: 'track' }]] } });

    await api('POST', '/templates/order-ready', { content: { text: 'Good news, [[ lead.firstName ]]: order [[ params.order ]] is ready' } });
    const second = await engine.run([messageNode({ ...fromLibrary, recipients: leads[0].userId })], { input: [{ order: 'A-3' }] });
    await waitUntilDone(backend, botId, token, String(second.output('Message')[0].json.messageId));
    expect(telegram.messagesTo(7001).at(-1)!.text).toBe('Good news, Name7001: order A-3 is ready');

    const pinned = await engine.run([messageNode({ ...fromLibrary, templateVersion: 1, recipients: leads[0].userId, options: { ...fromLibrary.options, dryRun: true } })], { input: [{ order: 'A-4' }] });
    expect(pinned.output('Message')[0].json).toMatchObject({ text: 'Order A-4 is ready, Name7001', buttons: [[{ text: 'Track', data: 'track' }]] });

    await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: leads[2].userId }).update({ paused_until: null });
    await backend.ctx.db('message_recipients').where({ message_id: String(queued.output('Message')[0].json.messageId) }).update({ status: 'queued', due_at: Date.now() });
    await waitUntilDone(backend, botId, token, String(queued.output('Message')[0].json.messageId));
    expect(telegram.messagesTo(7003).at(-1)!.text).toBe('Order A-1 is ready, Name7003');

    const missing = await engine.run([messageNode({ ...fromLibrary, templateName: 'nope', recipients: leads[0].userId })]);
    expect(missing.error('Message')!.description).toMatch(/^Template: there is no template "nope"/);
  });

  it('send and wait with Preview Only outputs the preview instead of waiting', async () => {
    const result = await engine.run([
      messageNode({ operation: 'sendAndWait', recipients: leads[1].userId, text: 'Confirm, [[ lead.firstName ]]?', responseType: 'buttons', buttons: { button: [{ text: 'Yes', type: 'data', value: 'yes' }] }, timeoutMinutes: 30, options: { dryRun: true } }),
    ]);
    expect(result.run.status).not.toBe('waiting');
    expect(result.output('Message').map((item) => item.json)).toEqual([expect.objectContaining({ dry_run: true, text: 'Confirm, Name7002?', buttons: [[{ text: 'Yes', data: 'yes' }]] })]);
    expect(result.output('Message')[0].pairedItem).toEqual({ item: 0 });
  });

  it('lists the library\'s templates and the placeholders a text may use (profile, attributes in use, the user, this node\'s params)', async () => {
    await api('POST', '/templates/welcome', { content: { text: 'Welcome' }, comment: 'first draft' });
    const templates = await engine.loadOptions(messageNode({ templateSource: 'library' }), 'getTemplates');
    expect(templates).toEqual([
      { name: 'order-ready', value: 'order-ready', description: 'Version 2' },
      { name: 'welcome', value: 'welcome', description: 'Version 1: first draft' },
    ]);

    const placeholders = await engine.loadOptions(messageNode({ options: { params: '{"coupon": "X", "last order": 1}' } }), 'getPlaceholders');
    const values = placeholders.map((option) => option.value);
    expect(values).toEqual(expect.arrayContaining(['[[ lead.firstName ]]', '[[ lead.language ]]', '[[ user.userId ]]']));
    expect(values.filter((value) => value.includes('attributes'))).toEqual(['[[ lead.attributes.city ]]', '[[ lead.attributes.tier ]]']);
    expect(values.filter((value) => value.includes('user.profile'))).toEqual(['[[ user.profile.firstName ]]', '[[ user.profile["loyalty tier"] ]]']);
    // A listed profile field goes into a text as listed.
    const preview = await engine.run([messageNode({ recipients: leads[0].userId, text: `Hi ${values.find((value) => value.includes('user.profile.firstName'))}`, options: { dryRun: true } })]);
    expect(preview.output('Message')[0].json).toMatchObject({ text: 'Hi Anna', unknown: [] });
    expect(values.slice(-2)).toEqual(['[[ params.coupon ]]', '[[ params["last order"] ]]']);
    expect(placeholders.find((option) => option.value === '[[ lead.firstName ]]')).toMatchObject({ name: '[[ lead.firstName ]]', description: 'First name from the messenger profile' });
    // An expression in Template Parameters is only known when the node runs: no names from it.
    const fromExpression = await engine.loadOptions(messageNode({ options: { params: '={{ $json }}' } }), 'getPlaceholders');
    expect(fromExpression.some((option) => option.value.includes('params'))).toBe(false);
  });
});
