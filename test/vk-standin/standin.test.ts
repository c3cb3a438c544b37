import { VkStandin } from '.';

/** The stand-in's own rules, over HTTP as the backend sees them. */
describe('VK API stand-in', () => {
  let standin: VkStandin;
  beforeAll(async () => {
    standin = await VkStandin.start();
  });
  afterAll(() => standin.close());

  const call = async (method: string, params: Record<string, string | number>) => {
    const response = await fetch(`${standin.apiRoot}/${method}`, { method: 'POST', body: new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])) });
    return (await response.json()) as { response?: any; error?: { error_code: number; error_msg: string } };
  };

  it('needs access_token (5) and v (8) on every call', async () => {
    const community = standin.createCommunity();
    expect((await call('groups.getById', { v: '5.199' })).error?.error_code).toBe(5);
    expect((await call('groups.getById', { access_token: 'vk1.a.wrong', v: '5.199' })).error?.error_code).toBe(5);
    expect((await call('groups.getById', { access_token: community.accessToken })).error?.error_code).toBe(8);
    expect((await call('groups.getById', { access_token: community.accessToken, v: '5.199' })).response.groups[0]).toMatchObject({ id: community.groupId, screen_name: community.screenName });
  });

  it('needs random_id, drops a repeated one with the first message\'s ids, and refuses people who did not allow messages (901)', async () => {
    const community = standin.createCommunity();
    const send = (peer: number, randomId: number | undefined, message = 'hi') => call('messages.send', { access_token: community.accessToken, v: '5.199', peer_ids: peer, message, ...(randomId === undefined ? {} : { random_id: randomId }) });
    expect((await send(501, undefined)).error?.error_code).toBe(100);
    expect((await send(501, 1)).response).toEqual([{ peer_id: 501, error: { code: 901, description: "Can't send messages for users without permission" } }]);
    await community.user(501).writes('hello').delivered;
    const first = (await send(501, 7)).response[0];
    expect(first).toEqual({ peer_id: 501, message_id: expect.any(Number), conversation_message_id: 1 });
    expect((await send(501, 7, 'again')).response[0]).toEqual(first);
    expect(community.sent.map((m) => m.text)).toEqual(['hi']);
  });

  it('checks keyboards (911) and answers each message_event once (100 after)', async () => {
    const community = standin.createCommunity();
    await community.user(502).writes('hello').delivered;
    const keyboard = (buttons: unknown) => call('messages.send', { access_token: community.accessToken, v: '5.199', peer_ids: 502, message: 'Pick', random_id: Math.floor(Math.random() * 1e9), keyboard: JSON.stringify({ inline: true, buttons }) });
    expect((await keyboard([Array.from({ length: 6 }, () => ({ action: { type: 'callback', label: 'x', payload: '{}' } }))])).error?.error_code).toBe(911);
    expect((await keyboard([[{ action: { type: 'callback', label: 'x'.repeat(41) } }]])).error?.error_code).toBe(911);
    const sent = (await keyboard([[{ action: { type: 'callback', label: 'Go', payload: '{"d":"go"}' } }]])).response[0];
    const tap = community.user(502).taps(sent.conversation_message_id, 'Go');
    const answer = () => call('messages.sendMessageEventAnswer', { access_token: community.accessToken, v: '5.199', event_id: tap.buttonEventId, user_id: 502, peer_id: 502 });
    expect((await answer()).response).toBe(1);
    expect((await answer()).error?.error_code).toBe(100);
  });

  it('limits a token to its calls a second (20 by default; 2 here, so a loaded machine still fits the burst in a second) with error 6', async () => {
    expect(standin.limits.perTokenPerSecond).toBe(20);
    standin.setLimits({ perTokenPerSecond: 2 });
    try {
      const community = standin.createCommunity();
      const codes = await Promise.all(Array.from({ length: 4 }, async () => (await call('groups.getById', { access_token: community.accessToken, v: '5.199' })).error?.error_code ?? 'ok'));
      expect(codes.filter((c) => c === 'ok').length).toBeLessThanOrEqual(2);
      expect(codes.filter((c) => c === 6).length).toBeGreaterThanOrEqual(1);
      expect(codes.every((c) => c === 'ok' || c === 6)).toBe(true);
    } finally {
      standin.setLimits({ perTokenPerSecond: 20 });
    }
  });
});
