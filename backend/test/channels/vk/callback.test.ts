import { eventually } from '../../support/eventually';
import { dialect } from '../../support/test-backend';
import { createVkBot, useVkBackend } from '../../support/vk';

describe(`VK Callback API (${dialect})`, () => {
  const setup = useVkBackend({}, { VK_MODE: 'callback' });
  const eventsOf = (botId: number, type: string) => setup.backend.ctx.db('events').where({ bot_id: botId, type });

  it('answers the confirmation request with the confirmation string, and only for its own community', async () => {
    const { community, botId } = await createVkBot(setup.backend, setup.standin);
    expect(await community.confirm()).toEqual({ status: 200, body: community.confirmationCode });
    const other = setup.standin.createCommunity();
    const wrong = await fetch(`${setup.backend.url}/vk/${botId}/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'confirmation', group_id: other.groupId }) });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain(community.confirmationCode);
  });

  it('refuses an event without the secret key or with a wrong one (401, nothing stored)', async () => {
    const { community, botId } = await createVkBot(setup.backend, setup.standin);
    const event = { type: 'message_new', group_id: community.groupId, event_id: 'a'.repeat(40), v: '5.199', object: { message: { from_id: 7001, peer_id: 7001, text: 'forged' } } };
    expect((await community.postRaw(event, null)).status).toBe(401);
    expect((await community.postRaw(event, 'wrong-secret')).status).toBe(401);
    expect(await setup.backend.ctx.db('leads').where({ bot_id: botId })).toEqual([]);
    expect((await community.postRaw(event)).body).toBe('ok');
  });

  it('a message is answered ok and recorded once, however often VK delivers its event_id', async () => {
    const { community, botId } = await createVkBot(setup.backend, setup.standin);
    const { eventId, delivered } = community.user(7002).writes('hello');
    expect(await delivered).toMatchObject({ status: 200, body: 'ok', attempts: 1 });
    expect((await community.redeliver(eventId)).body).toBe('ok');
    expect((await community.redeliver(eventId)).body).toBe('ok');
    const received = await eventsOf(botId, 'message.received');
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].payload)).toMatchObject({ channel: 'vk', text: 'hello' });
    expect(await setup.backend.ctx.db('leads').where({ bot_id: botId, channel: 'vk', chat_id: '7002' })).toHaveLength(1);
  });

  it('links the person through vk.me?ref=<link token> and tells them', async () => {
    const { community, botId, token } = await createVkBot(setup.backend, setup.standin);
    const issued = await setup.backend.request('POST', `/api/v1/bots/${botId}/link-tokens`, { token, body: { userId: 'crm-42' } });
    expect(issued.body.vkUrl).toBe(`https://vk.me/${community.screenName}?ref=${issued.body.token}`);
    const ref = new URL(issued.body.vkUrl).searchParams.get('ref')!;
    expect((await community.user(7003).opensLink(ref).delivered)?.body).toBe('ok');
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: '7003' }).first();
    expect(await setup.backend.ctx.db('links').where({ lead_id: lead.id }).first()).toMatchObject({ user_id: 'crm-42', source: 'deep_link' });
    const [reply] = community.messagesTo(7003);
    expect(reply.text.length).toBeGreaterThan(0);
    // An immediate reply's random_id comes from its event, above the delivery rows' range.
    expect(reply.randomId).toBeGreaterThanOrEqual(2 ** 30);
    expect(await eventsOf(botId, 'message.received')).toEqual([]);
  });

  it('a callback button tap is button.pressed naming the message, and is answered so it stops spinning', async () => {
    const { community, botId, token } = await createVkBot(setup.backend, setup.standin);
    await community.user(7004).writes('hi').delivered;
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: '7004' }).first();
    await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.id], text: 'Pick', buttons: [[{ text: 'Yes', data: 'yes' }]] } });
    const sent = await eventually(() => community.messagesTo(7004)[0]);
    const tap = community.user(7004).taps(sent.conversationMessageId, 'Yes');
    expect((await tap.delivered)?.body).toBe('ok');
    const [pressed] = await eventsOf(botId, 'button.pressed');
    expect(JSON.parse(pressed.payload)).toMatchObject({ channel: 'vk', buttonData: 'yes', messageRef: String(sent.conversationMessageId) });
    expect(community.answeredEvents.has(tap.buttonEventId)).toBe(true);
  });

  it('message_deny makes the lead unreachable and message_allow reachable again', async () => {
    const { community, botId } = await createVkBot(setup.backend, setup.standin);
    const person = community.user(7005);
    await person.writes('hi').delivered;
    await person.denies().delivered;
    const lead = () => setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: '7005' }).first();
    expect(Boolean((await lead()).reachable)).toBe(false);
    expect(await eventsOf(botId, 'bot.blocked')).toHaveLength(1);
    await person.allows().delivered;
    expect(Boolean((await lead()).reachable)).toBe(true);
  });
});
