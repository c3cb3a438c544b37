import type { BotState } from './bot-state';
import { badRequest, chatIdOf, type Params, stringParam, TelegramError } from './methods';

/** A topic of a forum supergroup: its thread id is the id of the service message that opened it. */
export interface StandinTopic {
  threadId: number;
  name: string;
  closed: boolean;
}

/** The bot's standing in a group, as getChatMember answers for it. */
export interface BotRights {
  status: 'administrator' | 'member' | 'left';
  canManageTopics?: boolean;
}

/** A group the test made: a supergroup with topics (forum) or not, and the users who are in it. */
export interface StandinGroup {
  id: number;
  title: string;
  type: 'supergroup' | 'group';
  isForum: boolean;
  rights: BotRights;
  members: Set<number>;
  topics: Map<number, StandinTopic>;
}

/** The groups the stand-in knows for one bot (other chats are private chats or unknown groups). */
export function groupsOf(bot: BotState): Map<number, StandinGroup> {
  return bot.groups;
}

export function chatObject(group: StandinGroup): Record<string, unknown> {
  return { id: group.id, type: group.type, title: group.title, ...(group.isForum ? { is_forum: true } : {}) };
}

function groupOf(bot: BotState, params: Params): StandinGroup {
  const group = groupsOf(bot).get(chatIdOf(params));
  if (!group || group.rights.status === 'left') throw badRequest('chat not found');
  return group;
}

/** Telegram's rule for every topic method: a forum supergroup where the bot may manage topics. */
function managedForum(bot: BotState, params: Params, action: string): StandinGroup {
  const group = groupOf(bot, params);
  if (!group.isForum) throw badRequest('the chat is not a forum');
  if (group.rights.status !== 'administrator' || !group.rights.canManageTopics) throw badRequest(`not enough rights to ${action} a topic`);
  return group;
}

function topicOf(group: StandinGroup, params: Params): StandinTopic {
  const topic = group.topics.get(Number(params.message_thread_id));
  if (!topic) throw badRequest('message thread not found');
  return topic;
}

/**
 * sendMessage (and the other sends) with `message_thread_id`: it must name an existing topic of
 * that chat, and an open one. Returns the thread the message lands in, if any.
 */
export function checkThread(bot: BotState, chatId: number, params: Params): number | undefined {
  if (params.message_thread_id === undefined || params.message_thread_id === null) return undefined;
  const group = groupsOf(bot).get(chatId);
  if (!group?.isForum) throw badRequest('message thread not found');
  const topic = topicOf(group, params);
  if (topic.closed) throw badRequest('TOPIC_CLOSED');
  return topic.threadId;
}

/** The forum methods: createForumTopic, closeForumTopic, reopenForumTopic, deleteForumTopic, getChat, getChatMember. */
export const forumMethods: Record<string, (bot: BotState, params: Params) => unknown> = {
  createForumTopic(bot, params) {
    const group = managedForum(bot, params, 'create');
    const name = stringParam(params, 'name') ?? '';
    if (name.length === 0) throw badRequest('TOPIC_TITLE_EMPTY');
    if ([...name].length > 128) throw badRequest('TOPIC_TITLE_INVALID');
    const threadId = bot.newMessageId(group.id);
    group.topics.set(threadId, { threadId, name, closed: false });
    return { message_thread_id: threadId, name, icon_color: 7322096 };
  },
  closeForumTopic(bot, params) {
    const topic = topicOf(managedForum(bot, params, 'close'), params);
    if (topic.closed) throw badRequest('TOPIC_NOT_MODIFIED');
    topic.closed = true;
    return true;
  },
  reopenForumTopic(bot, params) {
    const topic = topicOf(managedForum(bot, params, 'reopen'), params);
    if (!topic.closed) throw badRequest('TOPIC_NOT_MODIFIED');
    topic.closed = false;
    return true;
  },
  /** Telegram asks for can_delete_messages here; the stand-in's administrators always have it. */
  deleteForumTopic(bot, params) {
    const group = groupOf(bot, params);
    if (!group.isForum) throw badRequest('the chat is not a forum');
    if (group.rights.status !== 'administrator') throw badRequest('not enough rights to delete a topic');
    const topic = topicOf(group, params);
    group.topics.delete(topic.threadId);
    return true;
  },
  getChat(bot, params) {
    const chatId = chatIdOf(params);
    if (chatId > 0) return { id: chatId, type: 'private', first_name: bot.user(chatId).first_name };
    return chatObject(groupOf(bot, params));
  },
  getChatMember(bot, params) {
    const group = groupOf(bot, params);
    const userId = Number(params.user_id);
    if (!Number.isSafeInteger(userId)) throw badRequest('invalid user_id specified');
    if (userId === bot.id) {
      const me = { id: bot.id, is_bot: true, first_name: bot.username, username: bot.username };
      if (group.rights.status !== 'administrator') return { status: group.rights.status, user: me };
      return { status: 'administrator', user: me, can_be_edited: false, can_manage_chat: true, can_delete_messages: true, can_restrict_members: false, can_promote_members: false, can_change_info: false, can_invite_users: true, can_pin_messages: true, can_manage_topics: Boolean(group.rights.canManageTopics), is_anonymous: false, can_manage_video_chats: false, can_post_stories: false, can_edit_stories: false, can_delete_stories: false };
    }
    if (!group.members.has(userId)) throw new TelegramError(400, 'Bad Request: user not found');
    return { status: 'member', user: bot.user(userId) };
  },
};
