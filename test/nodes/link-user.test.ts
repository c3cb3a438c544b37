import { setLeadPhone } from '../../backend/src/identity/lead-directory';
import { ensureLead } from '../../backend/src/identity/leads';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';

describeWithN8n('Link User in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;
  let chat = 0;

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    const bot = await backend.createBot();
    botId = bot.botId;
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token: bot.token });
  }, 120_000);
  afterAll(() => backend?.close());

  const newLead = () => ensureLead(backend.ctx.db, backend.ctx.clock, { botId, channel: 'telegram', chatId: `chat-${++chat}`, profile: { firstName: 'Ann' } });
  const linkUser = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'Link User', type: 'linkUser', parameters, ...extra });
  const runOne = async (parameters: Record<string, unknown>, input?: Record<string, unknown>[]) => {
    const result = await engine.run([linkUser(parameters)], { input });
    const error = result.error('Link User');
    if (error) throw error;
    return result.output('Link User');
  };

  it('creates a link token per item with the deep link (numeric CRM ids too)', async () => {
    const output = await runOne({ resource: 'link', operation: 'createToken', userId: '={{ $json.crmId }}', options: { ttlSeconds: 3600 } }, [{ crmId: 'u-1' }, { crmId: 127 }]);
    expect(output).toHaveLength(2);
    expect(output[0].json).toMatchObject({ success: true, token: expect.any(String), expiresAt: expect.any(String) });
    expect(output[0].json).toHaveProperty('telegramUrl'); // null until the bot has a Telegram username
    expect(output[0].json.token).not.toBe(output[1].json.token);
    expect(output[1].pairedItem).toEqual({ item: 1 });
  });

  it('links, finds by user, lead and phone, and unlinks', async () => {
    const lead = await newLead();
    await setLeadPhone(backend.ctx.db, lead.id, '8 999 000-11-22', 'RU');
    const [linked] = await runOne({ resource: 'link', operation: 'link', userId: 'u-10', leadId: lead.id });
    expect(linked.json).toMatchObject({ userId: 'u-10', leadId: lead.id, connectedAt: expect.any(String) });

    const [user] = await runOne({ resource: 'user', operation: 'get', findBy: 'userId', lookup: 'u-10' });
    expect(user.json).toMatchObject({ userId: 'u-10', state: 'active', leads: [expect.objectContaining({ id: lead.id })] });
    const [byLead] = await runOne({ resource: 'user', operation: 'get', findBy: 'leadId', lookup: lead.id });
    expect(byLead.json).toMatchObject({ id: lead.id, userId: 'u-10' });
    const byPhone = await runOne({ resource: 'user', operation: 'get', findBy: 'phone', lookup: '+79990001122' });
    expect(byPhone.map((item) => item.json.id)).toEqual([lead.id]);

    const [unlinked] = await runOne({ resource: 'link', operation: 'unlink', userId: 'u-10', options: {} });
    expect(unlinked.json).toMatchObject({ success: true, unlinked: [lead.id] });
  });

  it('pauses until a date, resumes, blocks with a reason, unblocks, disconnects and deletes', async () => {
    await runOne({ resource: 'link', operation: 'link', userId: 'u-20', leadId: (await newLead()).id });
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const state = async (operation: string, extra: Record<string, unknown> = {}) =>
      (await runOne({ resource: 'user', operation, userId: 'u-20', notify: false, ...extra }))[0].json;
    expect(await state('pause', { until })).toMatchObject({ state: 'active', pausedUntil: expect.any(String) });
    expect(await state('resume')).toMatchObject({ pausedUntil: null });
    expect(await state('block', { reason: 'chargeback' })).toMatchObject({ state: 'blocked', blockReason: 'chargeback' });
    expect(await state('unblock')).toMatchObject({ state: 'active' });
    expect(await state('disconnect')).toMatchObject({ state: 'disconnected', leads: [] });
    expect(await state('delete')).toMatchObject({ state: 'deleted' });
  });

  it('updates a user\'s data: what changed comes back, the rest is kept', async () => {
    await runOne({ resource: 'link', operation: 'link', userId: 'u-40', leadId: (await newLead()).id });
    const [first] = await runOne({ resource: 'user', operation: 'update', userId: 'u-40', updateFields: '{"role": "user", "firstname": "Ann"}', originId: 'crm:signup' });
    expect(first.json).toMatchObject({ userId: 'u-40', changed: ['role', 'firstname'], profile: { role: 'user', firstname: 'Ann' } });
    const [second] = await runOne({ resource: 'user', operation: 'update', userId: 'u-40', updateFields: '={{ JSON.stringify({ role: "admin", firstname: "Ann" }) }}' });
    expect(second.json).toMatchObject({ changed: ['role'], profile: { role: 'admin', firstname: 'Ann' } });
  });

  it('sets attributes on one lead or on every lead of a user', async () => {
    const [first, second] = [await newLead(), await newLead()];
    await runOne({ resource: 'link', operation: 'link', userId: 'u-30', leadId: first.id });
    await runOne({ resource: 'link', operation: 'link', userId: 'u-30', leadId: second.id });
    const [one] = await runOne({
      resource: 'user',
      operation: 'setAttributes',
      target: 'lead',
      leadId: first.id,
      attributesMode: 'fields',
      attributesFields: { assignments: [{ id: 'a', name: 'tier', type: 'string', value: 'gold' }, { id: 'b', name: 'orders', type: 'number', value: '3' }] },
    });
    expect(one.json.attributes).toEqual({ tier: 'gold', orders: 3 });
    const both = await runOne({ resource: 'user', operation: 'setAttributes', target: 'user', attributesUserId: 'u-30', attributesMode: 'json', attributesJson: '{"tier": null, "city": "Kazan"}' });
    expect(both.map((item) => item.json.attributes)).toEqual(expect.arrayContaining([{ orders: 3, city: 'Kazan' }, { city: 'Kazan' }]));
    expect(both.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
  });

  it('reports an unknown user as a 404 NodeApiError, or as an error item on continue', async () => {
    const failing = await engine.run([linkUser({ resource: 'user', operation: 'get', findBy: 'userId', lookup: 'nobody' })]);
    expect(failing.error('Link User')).toMatchObject({ name: 'NodeApiError', httpCode: '404' });
    const continued = await engine.run([linkUser({ resource: 'user', operation: 'get', findBy: 'userId', lookup: '={{ $json.id }}' }, { onError: 'continueRegularOutput' })], {
      input: [{ id: 'nobody' }, { id: 'u-30' }],
    });
    const output = continued.output('Link User');
    expect(output[0].json).toMatchObject({ error: expect.any(String), httpCode: '404' });
    expect(output[1].json).toMatchObject({ userId: 'u-30' });

    // On Error: Continue (using error output): n8n moves the failed item to the second output (with the message, as for its own nodes).
    const routed = await engine.run([linkUser({ resource: 'user', operation: 'get', findBy: 'userId', lookup: '={{ $json.id }}' }, { onError: 'continueErrorOutput' })], {
      input: [{ id: 'nobody' }, { id: 'u-30' }],
    });
    const [success, failure] = routed.run.data.resultData.runData['Link User'][0].data!.main;
    expect(success!.map((item) => item.json.userId)).toEqual(['u-30']);
    expect(failure!.map((item) => item.json)).toEqual([expect.objectContaining({ error: 'User not found' })]);
  });

  it('starts a verification and verifies the code: a wrong one is an item with the reason, the right one links', async () => {
    const lead = await newLead();
    const [started] = await runOne({ resource: 'link', operation: 'startVerification', userId: 'u-50' });
    expect(started.json).toMatchObject({ success: true, code: expect.stringMatching(/^\d{6}$/), expiresAt: expect.any(String), attemptsLeft: 5 });
    const code = started.json.code as string;
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const [wrong] = await runOne({ resource: 'link', operation: 'verifyCode', userId: 'u-50', leadId: lead.id, code: wrongCode });
    expect(wrong.json).toEqual({ verified: false, reason: 'wrong', message: 'Wrong code', detail: 'wrong; 4 attempts left', trace_id: expect.any(String) });
    const [right] = await runOne({ resource: 'link', operation: 'verifyCode', userId: 'u-50', leadId: '={{ $json.leadId }}', code: '={{ $json.text }}' }, [{ leadId: lead.id, text: code }]);
    expect(right.json).toMatchObject({ verified: true, userId: 'u-50', leadId: lead.id, source: 'code' });
    const [used] = await runOne({ resource: 'link', operation: 'verifyCode', userId: 'u-50', leadId: lead.id, code });
    expect(used.json).toMatchObject({ verified: false, reason: 'none' });
    const badInput = await engine.run([linkUser({ resource: 'link', operation: 'verifyCode', userId: 'u-50', leadId: lead.id, code: 'abc' })]);
    expect(badInput.error('Link User')).toMatchObject({ name: 'NodeApiError', httpCode: '422' });
  });
});
