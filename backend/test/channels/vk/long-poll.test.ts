import { eventually } from '../../support/eventually';
import { dialect } from '../../support/test-backend';
import { createVkBot, useVkBackend } from '../../support/vk';

describe(`VK Bots Long Poll (${dialect})`, () => {
  const setup = useVkBackend({}, { VK_MODE: 'longpoll' });
  /** A community read by Long Poll: events after its first session are this bot's (VK returns none from before it). */
  async function pollingBot() {
    const bot = await createVkBot(setup.backend, setup.standin, { callback: false });
    setup.backend.ctx.wakeups.wake('vk');
    await eventually(() => bot.community.requests.some((r) => r.method === 'groups.getLongPollServer'));
    return bot;
  }
  const received = (botId: number) => setup.backend.ctx.db('events').where({ bot_id: botId, type: 'message.received' }).then((rows) => rows.map((r) => JSON.parse(r.payload).text));

  it('reads the community without a public URL, answers at once, and stores its position', async () => {
    const { botId, community } = await pollingBot();
    community.user(7101).writes('one');
    expect(await eventually(async () => (await received(botId)).includes('one') && received(botId))).toEqual(['one']);
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, channel: 'vk', chat_id: '7101' }).first();
    expect(lead).toMatchObject({ language: 'ru' });
    const stored = await eventually(async () => (await setup.backend.ctx.db('vk_bots').where({ bot_id: botId }).first()).poll_ts);
    expect(Number(stored)).toBeGreaterThan(1);
    expect(await setup.backend.ctx.db('vk_bots').where({ bot_id: botId }).first()).toMatchObject({ poll_owner: expect.any(String) });
  });

  it('recovers from failed 2 (new key), 3 (new key and position) and 1 (events lost: VK\'s position)', async () => {
    const { botId, community } = await pollingBot();
    community.user(7102).writes('before');
    await eventually(async () => (await received(botId)).includes('before'));
    // Events written while the key and position are lost are gone (failed 3): the person writes after the reader recovered.
    community.failNextCheck(2, 3);
    await eventually(() => community.pendingCheckFailures === 0 && community.requests.filter((r) => r.method === 'groups.getLongPollServer').length === 3);
    community.user(7102).writes('after a new key');
    await eventually(async () => (await received(botId)).includes('after a new key'));
    community.failNextCheck(1);
    await eventually(() => community.pendingCheckFailures === 0);
    community.user(7102).writes('after lost history');
    await eventually(async () => (await received(botId)).includes('after lost history'));
    // Each event once, whichever session read it.
    expect((await received(botId)).sort()).toEqual(['after a new key', 'after lost history', 'before']);
  });

  it('a callback button tap read by Long Poll is answered too', async () => {
    const { botId, token, community } = await pollingBot();
    community.user(7103).writes('hi');
    const lead = await eventually(() => setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: '7103' }).first());
    await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.id], text: 'Pick', buttons: [[{ text: 'Go', data: 'go' }]] } });
    const sent = await eventually(() => community.messagesTo(7103)[0]);
    const tap = community.user(7103).taps(sent.conversationMessageId, 'Go');
    await eventually(() => community.answeredEvents.has(tap.buttonEventId));
    const pressed = await setup.backend.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' }).first();
    expect(JSON.parse(pressed.payload)).toMatchObject({ channel: 'vk', buttonData: 'go' });
  });
});
