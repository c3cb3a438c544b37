import { telegramError, useGrammySuite } from './grammy-suite';

describe('Telegram stand-in: forum topics', () => {
  const telegram = useGrammySuite();
  /** The refusal as Telegram's code and description: "400 Bad Request: …". */
  const refusal = async (call: Promise<unknown>) => {
    const error = await telegramError(call);
    return `${error.error_code} ${error.description}`;
  };

  it('creates topics only in a forum supergroup where the bot may manage topics, with a 1–128 character name', async () => {
    const { bot, api } = telegram.newBot();
    const forum = bot.createGroup();
    const plain = bot.createGroup({ isForum: false });
    const member = bot.createGroup({ rights: { status: 'member' } });
    const noRight = bot.createGroup({ rights: { status: 'administrator', canManageTopics: false } });

    const topic = await api.createForumTopic(forum, 'Ann · telegram');
    expect(topic).toMatchObject({ message_thread_id: expect.any(Number), name: 'Ann · telegram' });
    expect(bot.topics(forum)).toEqual([{ threadId: topic.message_thread_id, name: 'Ann · telegram', closed: false }]);
    expect(await refusal(api.createForumTopic(plain, 'x'))).toBe('400 Bad Request: the chat is not a forum');
    expect(await refusal(api.createForumTopic(member, 'x'))).toBe('400 Bad Request: not enough rights to create a topic');
    expect(await refusal(api.createForumTopic(noRight, 'x'))).toBe('400 Bad Request: not enough rights to create a topic');
    expect(await refusal(api.createForumTopic(forum, ''))).toBe('400 Bad Request: TOPIC_TITLE_EMPTY');
    expect(await refusal(api.createForumTopic(forum, 'n'.repeat(129)))).toBe('400 Bad Request: TOPIC_TITLE_INVALID');
    expect((await api.createForumTopic(forum, 'n'.repeat(128))).name).toHaveLength(128);
    expect(await refusal(api.createForumTopic(-42, 'x'))).toBe('400 Bad Request: chat not found');
  });

  it('sends into an open topic only; closing and reopening follow Telegram\'s rules', async () => {
    const { bot, api } = telegram.newBot();
    const forum = bot.createGroup();
    const { message_thread_id: thread } = await api.createForumTopic(forum, 'Bob');

    const sent = await api.sendMessage(forum, 'hello', { message_thread_id: thread });
    expect(sent).toMatchObject({ chat: { id: forum, type: 'supergroup', is_forum: true }, message_thread_id: thread, is_topic_message: true });
    expect(bot.messagesTo(forum)[0]).toMatchObject({ text: 'hello', messageThreadId: thread });
    expect(await refusal(api.sendMessage(forum, 'x', { message_thread_id: thread + 100 }))).toBe('400 Bad Request: message thread not found');
    expect(await refusal(api.sendMessage(42, 'x', { message_thread_id: thread }))).toBe('400 Bad Request: message thread not found');

    expect(await api.closeForumTopic(forum, thread)).toBe(true);
    expect(await refusal(api.closeForumTopic(forum, thread))).toBe('400 Bad Request: TOPIC_NOT_MODIFIED');
    expect(await refusal(api.sendMessage(forum, 'x', { message_thread_id: thread }))).toBe('400 Bad Request: TOPIC_CLOSED');
    expect(await api.reopenForumTopic(forum, thread)).toBe(true);
    expect(await refusal(api.reopenForumTopic(forum, thread))).toBe('400 Bad Request: TOPIC_NOT_MODIFIED');
    expect((await api.sendMessage(forum, 'again', { message_thread_id: thread })).message_thread_id).toBe(thread);

    expect(await api.deleteForumTopic(forum, thread)).toBe(true);
    expect(await refusal(api.sendMessage(forum, 'x', { message_thread_id: thread }))).toBe('400 Bad Request: message thread not found');
    expect(await refusal(api.reopenForumTopic(forum, thread))).toBe('400 Bad Request: message thread not found');
    const { message_thread_id: next } = await api.createForumTopic(forum, 'Bob again');
    bot.setBotRights(forum, { status: 'administrator', canManageTopics: false });
    expect(await refusal(api.closeForumTopic(forum, next))).toBe('400 Bad Request: not enough rights to close a topic');
  });

  it('answers getChat with is_forum and getChatMember with the bot\'s rights; group messages carry the thread', async () => {
    const { bot, api } = telegram.newBot();
    const forum = bot.createGroup({ title: 'Support', members: [501] });
    const plain = bot.createGroup({ isForum: false });
    expect(await api.getChat(forum)).toMatchObject({ id: forum, type: 'supergroup', title: 'Support', is_forum: true });
    expect(await api.getChat(plain)).not.toHaveProperty('is_forum');
    expect(await api.getChatMember(forum, bot.id)).toMatchObject({ status: 'administrator', can_manage_topics: true });
    expect(await api.getChatMember(forum, 501)).toMatchObject({ status: 'member', user: { id: 501 } });
    expect(await refusal(api.getChatMember(forum, 777))).toBe('400 Bad Request: user not found');
    bot.setBotRights(plain, { status: 'left' });
    expect(await refusal(api.getChat(plain))).toBe('400 Bad Request: chat not found');

    const { message_thread_id: thread } = await api.createForumTopic(forum, 'Cy');
    bot.userWritesInGroup(forum, 501, '/return', thread);
    const [update] = await api.getUpdates({ timeout: 0 });
    expect(update.message).toMatchObject({ chat: { id: forum, is_forum: true }, from: { id: 501 }, message_thread_id: thread, is_topic_message: true, text: '/return', entities: [{ type: 'bot_command', offset: 0, length: 7 }] });
  });
});
