import { startServer, type RunningServer } from '../../../src/server';
import { loadConfig } from '../../../src/platform/config/config';
import { createTelegramBot, useStandinBackend, waitUntilDone } from '../../support/delivery';
import { dialect, type TestBackend } from '../../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver';
import { eventually } from '../../support/eventually';
import { newVisitor, openStream, type TestVisitor } from '../../support/webchat';

describe(`web chat as a delivery channel (${dialect})`, () => {
  const setup = useStandinBackend({ DELIVERY_CHAT_SPACING_MS: '0' });
  let receiver: WebhookReceiver;
  let bot: Awaited<ReturnType<typeof createTelegramBot>>;
  let backend: TestBackend;

  beforeAll(async () => {
    backend = setup.backend;
    bot = await createTelegramBot(backend, setup.standin);
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${bot.botId}${path}`, { token: bot.token, body });
  async function visitorLead(visitor: TestVisitor) {
    await visitor.send({ kind: 'start' });
    return eventually(() => backend.ctx.db('leads').where({ bot_id: bot.botId, channel: 'webchat', chat_id: visitor.visitorId }).first());
  }

  it('a message to a visitor goes through the delivery worker into the history and the open stream; a tap becomes button.pressed', async () => {
    const visitor = await newVisitor(backend, bot.botId);
    const lead = await visitorLead(visitor);
    const stream = await openStream(backend.url, bot.botId, visitor.token);
    try {
      const sent = await api('POST', '/messages', {
        leadIds: [lead.id],
        text: 'Hello <b>{{ params.name }}</b> &amp; welcome',
        parseMode: 'HTML',
        params: { name: '<script>x</script>' },
        imageUrl: 'https://example.com/cat.png',
        buttons: [[{ text: 'Menu', data: 'menu' }, { text: 'Site', url: 'https://example.com/' }]],
      });
      expect(sent.status).toBe(202);
      const status = await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
      expect(status.counts.sent).toBe(1);
      const [pushed] = (await stream.waitFor((m) => m.some((x) => x.direction === 'out'))).filter((m) => m.direction === 'out');
      expect(pushed).toMatchObject({
        text: 'Hello <script>x</script> & welcome',
        imageUrl: 'https://example.com/cat.png',
        buttons: [[{ text: 'Menu', data: 'menu' }, { text: 'Site', url: 'https://example.com/' }]],
      });
      const row = await backend.ctx.db('message_recipients').where({ message_id: sent.body.messageId }).first();
      expect(row.external_id).toBe(String(pushed.id));

      const tap = await visitor.send({ kind: 'button', messageId: pushed.id, data: 'menu' });
      expect(tap.status).toBe(202);
      expect(tap.body.message).toMatchObject({ direction: 'in', text: 'Menu', buttonData: 'menu' });
      const pressed = await eventually(() => backend.ctx.db('events').where({ bot_id: bot.botId, lead_id: lead.id, type: 'button.pressed' }).first());
      expect(JSON.parse(pressed.payload)).toMatchObject({ channel: 'webchat', buttonData: 'menu', messageRef: String(pushed.id) });
    } finally {
      stream.close();
    }
  });

  it('a reconnect gets the history after the last id it saw, and nothing twice', async () => {
    const visitor = await newVisitor(backend, bot.botId);
    const lead = await visitorLead(visitor);
    for (const text of ['one', 'two']) await waitUntilDone(backend, bot.botId, bot.token, (await api('POST', '/messages', { leadIds: [lead.id], text })).body.messageId);
    const first = await openStream(backend.url, bot.botId, visitor.token);
    const seen = await first.waitFor((m) => m.filter((x) => x.direction === 'out').length === 2);
    first.close();
    const lastSeen = seen[seen.length - 1].id;
    await waitUntilDone(backend, bot.botId, bot.token, (await api('POST', '/messages', { leadIds: [lead.id], text: 'three' })).body.messageId);
    const again = await openStream(backend.url, bot.botId, visitor.token, lastSeen);
    try {
      await again.waitFor((m) => m.some((x) => x.text === 'three'));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(again.messages.map((m) => m.text)).toEqual(['three']);
    } finally {
      again.close();
    }
  });

  it('send and wait: the visitor\'s tap resumes the waiting execution once', async () => {
    const visitor = await newVisitor(backend, bot.botId);
    const lead = await visitorLead(visitor);
    const sent = await api('POST', '/messages', {
      leadIds: [lead.id],
      text: 'Confirm the order?',
      buttons: [[{ text: 'Yes', data: 'yes' }, { text: 'No', data: 'no' }]],
      wait: { resumeUrl: `${receiver.url}/resume/webchat`, mode: 'buttons', timeoutSeconds: 600 },
    });
    await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
    await eventually(() => backend.ctx.db('message_waits').where({ message_id: sent.body.messageId }).first());
    const shown = (await visitor.history()).body.messages.find((m: { text?: string }) => m.text === 'Confirm the order?');
    await visitor.send({ kind: 'button', messageId: shown.id, data: 'yes' });
    await visitor.send({ kind: 'button', messageId: shown.id, data: 'yes' });
    await eventually(() => receiver.received.some((r) => r.path === '/webhook/resume/webchat'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const resumes = receiver.received.filter((r) => r.path === '/webhook/resume/webchat');
    expect(resumes).toHaveLength(1);
    expect(resumes[0].body).toMatchObject({ status: 'answered', answer: { buttonData: 'yes' }, leadId: lead.id, messageId: sent.body.messageId });
  });

  it('a link token in the page address links the visitor; a user in both channels gets the last-used one or all', async () => {
    const issued = await api('POST', '/link-tokens', { userId: 'crm-77' });
    expect(issued.body.webchatUrl).toBe(`${backend.ctx.config.publicUrl}/chat/${bot.botId}?link=${issued.body.token}`);
    bot.telegram.userStarts(9077, (await api('POST', '/link-tokens', { userId: 'crm-77' })).body.token);
    await eventually(() => backend.ctx.db('links').where({ bot_id: bot.botId, user_id: 'crm-77' }).first());

    const visitor = await newVisitor(backend, bot.botId);
    const linked = await visitor.send({ kind: 'start', link: issued.body.token });
    expect(linked.body.reply).toMatchObject({ direction: 'out', text: expect.stringContaining('connected to your account') });
    const links = await backend.ctx.db('links').where({ bot_id: bot.botId, user_id: 'crm-77', status: 'connected' });
    expect(links).toHaveLength(2);
    const webLead = await backend.ctx.db('leads').where({ channel: 'webchat', chat_id: visitor.visitorId }).first();
    expect(links.map((l: { lead_id: string }) => l.lead_id)).toContain(webLead.id);

    const channelsOf = async (channel?: 'last' | 'all') => {
      const sent = await api('POST', '/messages', { userIds: ['crm-77'], text: `to ${channel ?? 'default'}`, ...(channel ? { channel } : {}) });
      const done = await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
      const leadIds = done.recipients.map((r: { leadId: string }) => r.leadId);
      return (await backend.ctx.db('leads').whereIn('id', leadIds).pluck('channel')).sort();
    };
    expect(await channelsOf()).toEqual(['webchat']);
    expect(await channelsOf('all')).toEqual(['telegram', 'webchat']);
    bot.telegram.userSends(9077, 'I am on Telegram now');
    await eventually(() => backend.ctx.db('events').where({ bot_id: bot.botId, type: 'message.received' }).whereRaw('payload like ?', ['%on Telegram now%']).first());
    expect(await channelsOf('last')).toEqual(['telegram']);
    await eventually(() => bot.telegram.messagesTo(9077).some((m) => m.text === 'to last'));
    expect((await visitor.history()).body.messages.map((m: { text?: string }) => m.text)).toEqual(expect.arrayContaining(['to default', 'to all']));
  });

  it('quick replies become Telegram\'s reply keyboard and web-chat chips; with buttons they are refused', async () => {
    const sent = await api('POST', '/messages', { userIds: ['crm-77'], channel: 'all', text: 'How was the delivery?', quickReplies: ['Great', 'Late'] });
    expect(sent.status).toBe(202);
    await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
    const telegramCopy = bot.telegram.messagesTo(9077).find((m) => m.text === 'How was the delivery?');
    expect(telegramCopy?.replyMarkup).toMatchObject({ keyboard: [[{ text: 'Great' }], [{ text: 'Late' }]], one_time_keyboard: true });
    const webLead = await backend.ctx.db('leads').join('links', 'links.lead_id', 'leads.id').where({ 'leads.bot_id': bot.botId, 'leads.channel': 'webchat', 'links.user_id': 'crm-77' }).first('leads.chat_id');
    const webCopy = await backend.ctx.db('webchat_messages').where({ visitor_id: webLead.chat_id }).whereRaw('body like ?', ['%How was the delivery%']).first();
    expect(JSON.parse(webCopy.body)).toMatchObject({ text: 'How was the delivery?', quickReplies: ['Great', 'Late'] });

    const both = await api('POST', '/messages', { userIds: ['crm-77'], text: 'x', quickReplies: ['a'], buttons: [[{ text: 'b', data: 'b' }]] });
    expect(both.status).toBe(422);
    expect(both.body.errors).toEqual([expect.objectContaining({ path: 'quickReplies' })]);
  });

  it('asking for the phone shows a phone field in the web chat; a typed phone is shared unverified', async () => {
    const visitor = await newVisitor(backend, bot.botId);
    const lead = await visitorLead(visitor);
    const sent = await api('POST', '/messages', { leadIds: [lead.id], text: 'May we have your phone?', requestContact: { buttonText: 'Share my phone' } });
    expect(sent.status).toBe(202);
    await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
    const asked = (await visitor.history()).body.messages.find((m: { text?: string }) => m.text === 'May we have your phone?');
    expect(asked).toMatchObject({ requestContact: { buttonText: 'Share my phone' } });

    const shared = await visitor.send({ kind: 'contact', phone: '+7 918 777-77-77' });
    expect(shared.status).toBe(202);
    expect(shared.body.reply).toMatchObject({ removeKeyboard: true });
    const event = await eventually(() => backend.ctx.db('events').where({ bot_id: bot.botId, lead_id: lead.id, type: 'contact.shared' }).first());
    expect(JSON.parse(event.payload)).toMatchObject({ channel: 'webchat', contact: { isOwn: true, verified: false, phone: expect.stringContaining('79187777777') } });
    expect((await visitor.send({ kind: 'contact', phone: 'call me maybe' })).status).toBe(422);
  });

  it('a process that does not hold the visitor\'s connection still gets the message to it (shared database)', async () => {
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      WORKERS_ENABLED: 'false',
      SECRET_KEY: 'a'.repeat(64),
      ...(backend.ctx.config.DATABASE_URL ? { DATABASE_URL: backend.ctx.config.DATABASE_URL } : { DATA_DIR: backend.dataDir }),
    });
    const front: RunningServer = await startServer({ config });
    try {
      const visitor = await newVisitor(backend, bot.botId);
      const lead = await visitorLead(visitor);
      const stream = await openStream(front.url, bot.botId, visitor.token);
      try {
        await waitUntilDone(backend, bot.botId, bot.token, (await api('POST', '/messages', { leadIds: [lead.id], text: 'via the other process' })).body.messageId);
        await stream.waitFor((m) => m.some((x) => x.text === 'via the other process'));
      } finally {
        stream.close();
      }
    } finally {
      await front.close();
    }
  });
});
