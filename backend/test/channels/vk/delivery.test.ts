import { setVkAccount } from '../../../src/channels/vk/vk-store';
import { waitUntilDone } from '../../support/delivery';
import { eventually } from '../../support/eventually';
import { dialect } from '../../support/test-backend';
import { startWebhookReceiver } from '../../support/webhook-receiver';
import { createVkBot, type StandinCommunity, useVkBackend } from '../../support/vk';

// A loaded machine (shared CI, PostgreSQL) runs these well past jest's 30 s default; nothing here waits on wall-clock figures.
jest.setTimeout(120_000);

describe(`VK delivery (${dialect})`, () => {
  const setup = useVkBackend({}, { VK_MODE: 'callback', DELIVERY_BACKOFF_BASE_MS: '20', DELIVERY_BACKOFF_CAP_MS: '100', DELIVERY_CHAT_SPACING_MS: '0' });
  let userId = 8000;

  /** A person who wrote to a new bot's community, and a send to them; answers the finished status. */
  async function sendTo(body: Record<string, unknown>, beforeSend?: (ctx: { community: StandinCommunity; botId: number; peerId: number }) => unknown) {
    const peerId = ++userId;
    const { botId, token, community } = await createVkBot(setup.backend, setup.standin);
    await community.user(peerId).writes('hi').delivered;
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: String(peerId) }).first();
    await beforeSend?.({ community, botId, peerId });
    const accepted = await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.id], ...body } });
    expect(accepted.status).toBe(202);
    const status = await waitUntilDone(setup.backend, botId, token, accepted.body.messageId);
    return { botId, token, community, lead, peerId, status, messageId: accepted.body.messageId as string, sent: community.messagesTo(peerId) };
  }

  it('sends plain text (the person\'s name from users.get) with a random_id derived from the recipient row, and reports no possible duplicate', async () => {
    const { sent, status, botId, messageId } = await sendTo({ text: 'Hello <b>{{ lead.firstName }}</b> ({{ lead.chatId }})', parseMode: 'HTML' });
    expect(sent).toHaveLength(1);
    // The name came from users.get when the person wrote.
    expect(sent[0].text).toBe(`Hello Name${sent[0].peerId} (${sent[0].peerId})`);
    const row = await setup.backend.ctx.db('message_recipients').where({ bot_id: botId, message_id: messageId }).first();
    expect(sent[0].randomId).toBe(row.id);
    expect(row.external_id).toBe(String(sent[0].conversationMessageId));
    expect(status.recipients[0]).toEqual(expect.not.objectContaining({ possibleDuplicate: true }));
  });

  it('inline buttons are callback and open_link buttons; quick replies a one-time keyboard of text buttons', async () => {
    const inline = await sendTo({ text: 'Pick', buttons: [[{ text: 'Yes', data: 'y' }, { text: 'Site', url: 'https://example.com' }]] });
    expect(inline.sent[0].keyboard).toEqual({ inline: true, buttons: [[{ action: { type: 'callback', label: 'Yes', payload: '{"d":"y"}' } }, { action: { type: 'open_link', link: 'https://example.com', label: 'Site' } }]] });

    const quick = await sendTo({ text: 'Size?', quickReplies: ['S', 'M'] });
    expect(quick.sent[0].keyboard).toMatchObject({ one_time: true, buttons: [[{ action: { type: 'text', label: 'S' } }], [{ action: { type: 'text', label: 'M' } }]] });
    quick.community.user(quick.peerId).pressesText('M');
    const received = await eventually(() => setup.backend.ctx.db('events').where({ bot_id: quick.botId, type: 'message.received' }).then((rows) => rows.find((r) => JSON.parse(r.payload).text === 'M')));
    expect(JSON.parse(received.payload)).toMatchObject({ channel: 'vk', text: 'M' });

    const tooMany = await sendTo({ text: 'Many', buttons: [Array.from({ length: 6 }, (_, i) => ({ text: `b${i}`, data: `b${i}` }))] });
    expect(tooMany.status.recipients[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('at most 10 buttons') });
    expect(tooMany.sent).toEqual([]);
  });

  it('a photo goes through VK\'s upload flow as an attachment, and an image from a forbidden address is refused', async () => {
    const imageUrl = setup.standin.imageUrl('cat');
    const photo = await sendTo({ text: 'Look', imageUrl });
    expect(photo.sent[0]).toMatchObject({ text: 'Look', attachment: expect.stringMatching(new RegExp(`^photo-${photo.community.groupId}_\\d+$`)) });
    expect(photo.community.requests.map((r) => r.method)).toEqual(['photos.getMessagesUploadServer', 'photos.saveMessagesPhoto', 'messages.send']);

    const forbidden = await sendTo({ text: 'Metadata', imageUrl: 'http://169.254.169.254/latest/meta-data/a.png' });
    expect(forbidden.status.recipients[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('link-local') });
    expect(forbidden.community.requests.filter((r) => r.method !== 'groups.getById')).toEqual([]);
  });

  it('maps VK errors: 6 and 10 are retried, 901 makes the lead unreachable until message_allow, 5 and 100 fail at once', async () => {
    const retried = await sendTo({ text: 'Busy' }, ({ community }) => {
      community.failNext(1, 6);
      community.failNext(1, 10);
    });
    expect(retried.status.recipients[0]).toMatchObject({ status: 'sent' });
    expect(retried.community.requests.map((r) => r.code)).toEqual([6, 10, 'ok']);
    // Every attempt of the copy carried the same random_id.
    expect(new Set(retried.community.requests.map((r) => r.randomId)).size).toBe(1);

    const denied = await sendTo({ text: 'Anyone?' }, ({ community, peerId }) => community.user(peerId).revokesSilently());
    expect(denied.status.recipients[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('901') });
    const lead = () => setup.backend.ctx.db('leads').where({ id: denied.lead.id }).first();
    expect(Boolean((await lead()).reachable)).toBe(false);
    await denied.community.user(denied.peerId).allows().delivered;
    expect(Boolean((await lead()).reachable)).toBe(true);
    const again = await setup.backend.request('POST', `/api/v1/bots/${denied.botId}/messages`, { token: denied.token, body: { leadIds: [denied.lead.id], text: 'Welcome back' } });
    expect((await waitUntilDone(setup.backend, denied.botId, denied.token, again.body.messageId)).counts).toMatchObject({ sent: 1 });

    const revoked = await sendTo({ text: 'Token?' }, ({ community, botId }) => setVkAccount(setup.backend.ctx, botId, { ...community.credentials, accessToken: 'vk1.a.revokedrevokedrevokedrevoked' }));
    expect(revoked.status.recipients[0]).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringContaining('5 User authorization failed') });

    const invalid = await sendTo({ text: 'Param' }, ({ community }) => community.failNext(1, 100));
    expect(invalid.status.recipients[0]).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringMatching(/^100 /) });
  });

  it('paces a burst under the token limit: 60 people get their message without a single error 6', async () => {
    const { botId, token, community } = await createVkBot(setup.backend, setup.standin);
    const peers = Array.from({ length: 60 }, (_, i) => 9_000 + i);
    for (const peer of peers) await community.user(peer).writes('hi').delivered;
    const leads = await setup.backend.ctx.db('leads').where({ bot_id: botId }).select('id');
    const started = Date.now();
    const accepted = await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: leads.map((l) => l.id), text: 'News' } });
    expect((await waitUntilDone(setup.backend, botId, token, accepted.body.messageId, 90_000)).counts).toMatchObject({ sent: 60 });
    const sends = community.requests.filter((r) => r.method === 'messages.send' && r.at >= started);
    expect(sends.every((r) => r.code === 'ok')).toBe(true);
    // No second of calls holds more than VK's 20.
    for (const r of sends) expect(sends.filter((s) => s.at >= r.at && s.at < r.at + 1000).length).toBeLessThanOrEqual(20);
  }, 180_000);

  it('send and wait: a tap on the VK callback button of that message resumes the execution once', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const wait = { resumeUrl: `${receiver.url}/resume/vk`, mode: 'buttons', timeoutSeconds: 3600 };
      const sent = await sendTo({ text: 'Confirm?', buttons: [[{ text: 'Yes', data: 'yes' }, { text: 'No', data: 'no' }]], wait });
      await eventually(() => setup.backend.ctx.db('message_waits').where({ message_id: sent.messageId }).first());
      const person = sent.community.user(sent.peerId);
      await person.taps(sent.sent[0].conversationMessageId, 'Yes').delivered;
      await person.taps(sent.sent[0].conversationMessageId, 'Yes').delivered;
      const [resume] = await receiver.waitFor(1);
      expect(resume.body).toMatchObject({ status: 'answered', answer: { buttonData: 'yes' }, leadId: sent.lead.id, messageId: sent.messageId });
      expect(await setup.backend.ctx.db('wait_resumes').where({ message_id: sent.messageId })).toHaveLength(1);
      expect(sent.community.answeredEvents.size).toBe(2);
    } finally {
      await receiver.close();
    }
  });
});
