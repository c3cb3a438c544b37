import { waitUntilDone } from '../../backend/test/support/delivery';
import { describeWithN8n } from './support/n8n-runtime';
import { startTelegramStand, type TelegramStand } from './support/telegram-stand';

/**
 * Audiences through the nodes: Link User subscribes and unsubscribes (topics as load options),
 * Call Communication sends to topics minus exclusions or to a segment, schedules and cancels, and
 * Get Status follows the send; the Metabot Trigger offers the audience events.
 */
describeWithN8n('topics and segments in the n8n engine', () => {
  let stand: TelegramStand;
  const api = (method: string, path: string, body?: unknown) => stand.backend.request(method, `/api/v1/bots/${stand.botId}${path}`, { token: stand.token, body });
  const linkUser = (parameters: Record<string, unknown>) => ({ name: 'Link User', type: 'linkUser', parameters: { resource: 'user', ...parameters } });
  const messageNode = (parameters: Record<string, unknown>) => ({ name: 'Message', type: 'callCommunication', parameters: { resource: 'message', operation: 'send', ...parameters } });
  const received = (text: string) => stand.leads.filter((l) => stand.telegram.messagesTo(l.chatId).some((m) => m.text === text)).map((l) => l.userId);

  beforeAll(async () => {
    stand = await startTelegramStand({ chatIds: [9301, 9302, 9303, 9304] });
    expect((await api('POST', '/topics', { key: 'family-news', name: 'Family news' })).status).toBe(201);
    expect((await api('POST', '/topics', { key: 'webinar', name: 'Webinar' })).status).toBe(201);
  }, 120_000);
  afterAll(() => stand?.close());

  it('lists topics as options; Subscribe and Unsubscribe change the members and say how many changed', async () => {
    const options = await stand.engine.loadOptions(linkUser({ operation: 'subscribe' }), 'getTopics');
    expect(options).toEqual([
      { name: 'Family news (family-news)', value: 'family-news', description: '0 members' },
      { name: 'Webinar (webinar)', value: 'webinar', description: '0 members' },
    ]);
    const [a, b, c, d] = stand.leads;
    const subscribed = await stand.engine.run([linkUser({ operation: 'subscribe', topic: 'family-news', memberType: 'userIds', memberIds: '={{ $json.users }}' })], {
      input: [{ users: [a.userId, b.userId, c.userId] }],
    });
    expect(subscribed.output('Link User')[0].json).toMatchObject({ topic: 'family-news', success: true, changed: 3, unknown: [] });
    const again = await stand.engine.run([linkUser({ operation: 'subscribe', topic: 'webinar', memberType: 'leadIds', memberIds: `${d.leadId}, ld_nobody` })]);
    expect(again.output('Link User')[0].json).toMatchObject({ changed: 1, unknown: ['ld_nobody'] });
    const out = await stand.engine.run([linkUser({ operation: 'unsubscribe', topic: 'family-news', memberType: 'userIds', memberIds: c.userId })]);
    expect(out.output('Link User')[0].json).toMatchObject({ changed: 1 });
    const events = await stand.backend.ctx.db('events').where({ bot_id: stand.botId }).whereIn('type', ['topic.subscribed', 'topic.unsubscribed']).count({ n: '*' }).first();
    expect(Number(events?.n)).toBe(5);
    const counted = await stand.engine.loadOptions(linkUser({ operation: 'subscribe' }), 'getTopics');
    expect(counted.map((o) => o.description)).toEqual(['2 members', '1 members']);

    const refused = await stand.engine.run([linkUser({ operation: 'subscribe', topic: 'no-such-topic', memberType: 'userIds', memberIds: a.userId })]);
    expect(refused.error('Link User')?.message).toMatch(/no-such-topic/);
  });

  it('sends to several topics minus exclusions, one copy each, and Get Status shows the counts while and after it runs', async () => {
    const [a, b, , d] = stand.leads;
    const sent = await stand.engine.run([
      messageNode({ recipientType: 'topics', topics: ['family-news', 'webinar'], excludeUserIds: b.userId, text: 'New post: {{ params.title }}', options: { params: '{"title": "Summer"}' } }),
    ]);
    const answer = sent.output('Message')[0].json;
    expect(answer).toMatchObject({ success: true, queued: 2, deferred: 0 });
    const messageId = String(answer.messageId);
    const progress = await stand.engine.run([{ name: 'Status', type: 'callCommunication', parameters: { resource: 'message', operation: 'getStatus', messageId, recipientsLimit: 0 } }]);
    const counts = progress.output('Status')[0].json.counts as Record<string, number>;
    expect(Object.keys(counts).sort()).toEqual(['cancelled', 'deferred', 'failed', 'queued', 'scheduled', 'sent', 'skipped']);
    expect(counts.queued + counts.sent).toBe(2);
    expect(progress.output('Status')[0].json.recipients).toEqual([]);
    await waitUntilDone(stand.backend, stand.botId, stand.token, messageId);
    expect(received('New post: Summer').sort()).toEqual([a.userId, d.userId].sort());
    const done = await stand.engine.run([{ name: 'Status', type: 'callCommunication', parameters: { resource: 'message', operation: 'getStatus', messageId } }]);
    expect(done.output('Status')[0].json).toMatchObject({ status: 'done', counts: expect.objectContaining({ sent: 2 }), recipients: expect.any(Array) });
  });

  it('previews a segment (dry run), then sends to it', async () => {
    const [a, b] = stand.leads;
    await stand.backend.ctx.db('leads').whereIn('id', [a.leadId, b.leadId]).update({ attributes: JSON.stringify({ region: 'south' }) });
    const segmentFilter = JSON.stringify({ conditions: [{ column: 'attributes.region', op: 'eq', value: 'south' }] });
    const dry = await stand.engine.run([messageNode({ recipientType: 'segment', segmentFilter, excludeLeadIds: b.leadId, text: 'South: {{ lead.id }}', options: { dryRun: true } })]);
    expect(dry.output('Message').map((item) => item.json)).toEqual([expect.objectContaining({ dry_run: true, leadId: a.leadId, text: `South: ${a.leadId}`, recipients: expect.objectContaining({ queued: 1 }) })]);
    const sent = await stand.engine.run([messageNode({ recipientType: 'segment', segmentFilter, text: 'South news' })]);
    expect(sent.output('Message')[0].json).toMatchObject({ success: true, queued: 2 });
    await waitUntilDone(stand.backend, stand.botId, stand.token, String(sent.output('Message')[0].json.messageId));
    expect(received('South news').sort()).toEqual([a.userId, b.userId].sort());

    const bad = await stand.engine.run([messageNode({ recipientType: 'segment', segmentFilter: '{"conditions": [{"column": "colour", "op": "eq", "value": 1}]}', text: 'x' })]);
    const error = bad.error('Message');
    expect(`${error?.message} ${error?.description}`).toMatch(/unknown column "colour"/);
  });

  it("schedules a topic send at 10:00 in each person's zone with a Cancel Key, and cancels it by the key", async () => {
    const [a] = stand.leads;
    await stand.backend.ctx.db('user_accounts').where({ bot_id: stand.botId, user_id: a.userId }).update({ profile: JSON.stringify({ timeZone: 'Asia/Tokyo' }) });
    const scheduled = await stand.engine.run([
      messageNode({ recipientType: 'topics', topics: ['family-news'], text: 'at ten', options: { localTime: '10:00', delaySeconds: 60, cancelKey: 'digest:family' } }),
    ]);
    const answer = scheduled.output('Message')[0].json;
    expect(answer).toMatchObject({ success: true, queued: 0, scheduled: 2, cancelKey: 'digest:family' });
    const rows = await stand.backend.ctx.db('message_recipients').where({ message_id: String(answer.messageId) }).orderBy('user_id');
    // 10:00 in Tokyo is 01:00 UTC; the other member has no zone: the bot's (UTC).
    expect(rows.map((r) => new Date(Number(r.due_at)).toISOString().slice(11, 16))).toEqual(['01:00', '10:00']);
    const cancelled = await stand.engine.run([{ name: 'Cancel', type: 'callCommunication', parameters: { resource: 'message', operation: 'cancel', cancelBy: 'cancelKey', cancelKey: 'digest:family' } }]);
    expect(cancelled.output('Cancel')[0].json).toMatchObject({ success: true, messageId: answer.messageId, cancelled: 2, inFlight: [] });
  });

  it('the Metabot Trigger offers Topic Subscribed, Topic Unsubscribed and Message Cancelled', () => {
    const events = stand.engine.nodeType('metabotTrigger').description.properties.find((p: { name: string }) => p.name === 'events');
    expect(events.options.map((o: { value: string }) => o.value)).toEqual(expect.arrayContaining(['topic.subscribed', 'topic.unsubscribed', 'message.cancelled']));
  });
});
