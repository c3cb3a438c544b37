import { updateBotSettings } from '../../src/bots/bots';
import { handleInbound, purgeInboundUpdates } from '../../src/inbound/inbound';
import { getLead } from '../../src/identity/leads';
import { resolveRecipients } from '../../src/identity/recipients';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`handleInbound: identity flows and events (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const clock = new ManualClock();
  let chat = 0;
  const newChat = () => `chat-${++chat}`;
  const inbound = (chatId: string, update: Record<string, unknown>) =>
    handleInbound(backend.ctx, { botId, channel: 'telegram', chatId, profile: { firstName: 'Ann' }, ...update } as never);
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });
  const linkToken = async (userId: string, ttlSeconds?: number) => (await api('POST', '/link-tokens', { userId, ttlSeconds })).body.token as string;
  const events = (traceId: string) => backend.ctx.db('events').where({ trace_id: traceId }).orderBy('id');
  const leadOf = async (chatId: string) => (await api('GET', `/leads?chatId=${chatId}`)).body.leads[0];

  beforeAll(async () => {
    backend = await startTestBackend({ clock });
    ({ botId, token } = await backend.createBot());
    await updateBotSettings(backend.ctx, botId, { telegram: { username: 'AcmeBot' } });
  });
  afterAll(() => backend.close());

  it('links a chat with a valid deep-link token and records user.linked with a trace', async () => {
    const issued = await api('POST', '/link-tokens', { userId: 'u-deep' });
    expect(issued.body).toMatchObject({ success: true, token: expect.stringMatching(/^lt_/), telegramUrl: `https://t.me/AcmeBot?start=${issued.body.token}`, webchatUrl: expect.stringContaining(`/chat/${botId}?link=${issued.body.token}`) });
    const chatId = newChat();
    const result = await inbound(chatId, { kind: 'start', payload: issued.body.token, updateId: '1' });
    expect(result.reply?.text).toMatch(/connected to your account/);
    const [linked] = await events(result.traceId!);
    expect(linked).toMatchObject({ type: 'user.linked', user_id: 'u-deep', lead_id: (await leadOf(chatId)).id });
    expect(JSON.parse(linked.payload)).toMatchObject({ channel: 'telegram', source: 'deep_link', reconnected: false });
    const trace = await api('GET', `/traces/${result.traceId}`);
    expect(trace.body.hops.map((h: { hop: string }) => h.hop)).toContain('user.linked');
    expect((await leadOf(chatId)).userId).toBe('u-deep');
  });

  it('tells the person when a token expired, was used by someone else, or is unknown, and links nothing', async () => {
    const expired = await linkToken('u-exp', 60);
    clock.advance(61_000);
    const chatId = newChat();
    expect((await inbound(chatId, { kind: 'start', payload: expired })).reply?.text).toMatch(/expired/);

    const once = await linkToken('u-once');
    const first = newChat();
    await inbound(first, { kind: 'start', payload: once });
    expect((await inbound(first, { kind: 'start', payload: once })).reply?.text).toMatch(/already connected/);
    const reused = await inbound(chatId, { kind: 'start', payload: once });
    expect(reused.reply?.text).toMatch(/already been used/);
    const [attempt] = await events(reused.traceId!);
    expect(attempt).toMatchObject({ type: 'bot.started', user_id: null });
    expect(JSON.parse(attempt.payload)).toMatchObject({ linkError: 'used', startPayload: null });

    expect((await inbound(chatId, { kind: 'start', payload: `lt_${'x'.repeat(32)}` })).reply?.text).toMatch(/not valid/);
    expect((await leadOf(chatId)).userId).toBeNull();
  });

  it('tells the person a token of another bot belongs elsewhere', async () => {
    const other = await backend.createBot({ name: 'Other' });
    const res = await backend.request('POST', `/api/v1/bots/${other.botId}/link-tokens`, { token: other.token, body: { userId: 'x' } });
    expect(res.body.telegramUrl).toBeNull();
    expect((await inbound(newChat(), { kind: 'start', payload: res.body.token })).reply?.text).toMatch(/another bot/);
  });

  it('records bot.started with its payload when /start carries no token', async () => {
    const result = await inbound(newChat(), { kind: 'start', payload: 'promo-42' });
    expect(result.reply).toBeUndefined();
    const [started] = await events(result.traceId!);
    expect(started.type).toBe('bot.started');
    expect(JSON.parse(started.payload)).toEqual({ channel: 'telegram', startPayload: 'promo-42' });
  });

  it('accepts only the person\'s own contact, stores the phone normalised and emits contact.shared', async () => {
    const chatId = newChat();
    const forwarded = await inbound(chatId, { kind: 'contact', phone: '+7 900 000-00-00', isOwn: false });
    expect(forwarded.reply).toMatchObject({ text: expect.stringMatching(/your own phone/), requestContact: { buttonText: expect.any(String) } });
    expect(await events(forwarded.traceId!)).toHaveLength(0);

    const own = await inbound(chatId, { kind: 'contact', phone: '+7 918 777-77-77', isOwn: true });
    expect(own.reply).toMatchObject({ removeKeyboard: true });
    const [shared] = await events(own.traceId!);
    expect(shared.type).toBe('contact.shared');
    expect(JSON.parse(shared.payload)).toMatchObject({ contact: { phone: '+79187777777', valid: true, isOwn: true } });
    const found = await api('GET', `/leads?phone=${encodeURIComponent('+7 (918) 777 77 77')}`);
    expect(found.body.leads.map((l: { chatId: string }) => l.chatId)).toEqual([chatId]);
    expect(found.body.leads[0].phone).toBe('+79187777777');
  });

  it('records message.received and button.pressed with lead, user, channel and a trace hop', async () => {
    const chatId = newChat();
    await inbound(chatId, { kind: 'start', payload: await linkToken('u-talk') });
    const message = await inbound(chatId, { kind: 'message', text: 'hello' });
    const [received] = await events(message.traceId!);
    expect(received).toMatchObject({ type: 'message.received', user_id: 'u-talk', lead_id: expect.stringMatching(/^ld_/) });
    expect(JSON.parse(received.payload)).toMatchObject({ channel: 'telegram', text: 'hello' });
    const button = await inbound(chatId, { kind: 'button', data: 'yes', callbackId: 'cb1' });
    const [pressed] = await events(button.traceId!);
    expect(pressed.type).toBe('button.pressed');
    expect(JSON.parse(pressed.payload)).toMatchObject({ buttonData: 'yes' });
    const trace = await api('GET', `/traces/${button.traceId}`);
    expect(trace.body.hops).toEqual([expect.objectContaining({ hop: 'button.pressed', sourceSystem: 'telegram', userId: 'u-talk' })]);
  });

  it('lets a registered hook consume a reply instead of recording the regular event', async () => {
    const chatId = newChat();
    backend.ctx.inboundHooks.push(async (_ctx, { update }) => (update.kind === 'message' && update.text === 'answer' ? { consumed: true, reply: { text: 'noted' } } : undefined));
    try {
      const consumed = await inbound(chatId, { kind: 'message', text: 'answer' });
      expect(consumed.reply).toEqual({ text: 'noted' });
      expect(await events(consumed.traceId!)).toHaveLength(0);
      const regular = await inbound(chatId, { kind: 'message', text: 'other' });
      expect(await events(regular.traceId!)).toHaveLength(1);
    } finally {
      backend.ctx.inboundHooks.pop();
    }
  });

  it('drops a redelivered update', async () => {
    const chatId = newChat();
    const first = await inbound(chatId, { kind: 'message', text: 'once', updateId: '777' });
    const again = await inbound(chatId, { kind: 'message', text: 'once', updateId: '777' });
    expect(again).toEqual({ duplicate: true });
    expect(await backend.ctx.db('events').where({ type: 'message.received' }).andWhere('trace_id', 'in', [first.traceId!])).toHaveLength(1);
    const lead = await leadOf(chatId);
    expect(await backend.ctx.db('events').where({ lead_id: lead.id })).toHaveLength(1);

    clock.advance(2 * 24 * 3_600_000 + 1);
    expect(await purgeInboundUpdates(backend.ctx)).toBeGreaterThan(0);
    expect((await inbound(chatId, { kind: 'message', text: 'once', updateId: '777' })).duplicate).toBeUndefined();
  });

  it('marks the lead unreachable on bot_blocked and reachable again on bot_unblocked', async () => {
    const chatId = newChat();
    await inbound(chatId, { kind: 'start', payload: await linkToken('u-blocker') });
    const blocked = await inbound(chatId, { kind: 'bot_blocked' });
    expect((await events(blocked.traceId!)).map((e) => e.type)).toEqual(['bot.blocked']);
    const lead = await leadOf(chatId);
    expect(lead.reachable).toBe(false);
    const answer = await resolveRecipients(backend.ctx.db, botId, { userIds: ['u-blocker'] }, { critical: true, now: clock.now() });
    expect(answer.inactive).toEqual([{ id: 'u-blocker', reason: 'bot_blocked' }]);
    const unblocked = await inbound(chatId, { kind: 'bot_unblocked' });
    expect((await events(unblocked.traceId!)).map((e) => e.type)).toEqual(['bot.unblocked']);
    expect((await getLead(backend.ctx.db, botId, lead.id))!.reachable).toBe(true);
  });

  it('tells a deleted account\'s chat once that the account was deleted; a new link reconnects it', async () => {
    const chatId = newChat();
    await inbound(chatId, { kind: 'start', payload: await linkToken('u-del') });
    expect((await api('POST', '/users/u-del/delete', {})).body.user.state).toBe('deleted');
    const first = await inbound(chatId, { kind: 'message', text: 'hi' });
    expect(first.reply?.text).toMatch(/account has been deleted/);
    const [received] = await events(first.traceId!);
    expect(received).toMatchObject({ type: 'message.received', user_id: null });
    expect((await inbound(chatId, { kind: 'message', text: 'hi again' })).reply).toBeUndefined();

    const relinked = await inbound(chatId, { kind: 'start', payload: await linkToken('u-del') });
    const [linked] = await events(relinked.traceId!);
    expect(JSON.parse(linked.payload)).toMatchObject({ reconnected: true });
    expect((await api('GET', '/users/u-del')).body.user.state).toBe('active');
  });

  it('rejects a malformed update', async () => {
    await expect(inbound('', { kind: 'message' })).rejects.toThrow();
    await expect(inbound('x', { kind: 'teleport' })).rejects.toThrow();
  });
});
