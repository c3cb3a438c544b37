import { type Api, GrammyError } from 'grammy';

/** Telegram's limit on a topic's name, in characters. */
export const TOPIC_NAME_MAX = 128;

/** How a send into a topic ended: sent, refused because the topic is closed, or the topic is gone. */
export type TopicSend = 'sent' | 'closed' | 'gone';

const refusedWith = (error: unknown, ...descriptions: string[]) =>
  error instanceof GrammyError && error.error_code === 400 && descriptions.some((d) => error.description.includes(d));

/** A name Telegram accepts: 1–128 characters (code points), never empty. */
export function topicName(name: string): string {
  const trimmed = [...name.trim()].slice(0, TOPIC_NAME_MAX).join('');
  return trimmed.length > 0 ? trimmed : 'Conversation';
}

export async function createTopic(api: Api, chatId: string, name: string): Promise<number> {
  return (await api.createForumTopic(chatId, topicName(name))).message_thread_id;
}

/** Plain text into a topic; Telegram's "closed" and "thread not found" come back as outcomes, anything else throws. */
export async function sendIntoTopic(api: Api, chatId: string, threadId: number, text: string): Promise<TopicSend> {
  try {
    await api.sendMessage(chatId, text, { message_thread_id: threadId });
    return 'sent';
  } catch (error) {
    if (refusedWith(error, 'TOPIC_CLOSED')) return 'closed';
    if (refusedWith(error, 'message thread not found', 'TOPIC_DELETED', 'TOPIC_ID_INVALID')) return 'gone';
    throw error;
  }
}

/** Reopens a topic; one already open is fine. False when the topic no longer exists. */
export async function reopenTopic(api: Api, chatId: string, threadId: number): Promise<boolean> {
  try {
    await api.reopenForumTopic(chatId, threadId);
    return true;
  } catch (error) {
    if (refusedWith(error, 'TOPIC_NOT_MODIFIED')) return true;
    if (refusedWith(error, 'message thread not found', 'TOPIC_DELETED', 'TOPIC_ID_INVALID')) return false;
    throw error;
  }
}

/** Closes a topic; one already closed or gone is fine. */
export async function closeTopic(api: Api, chatId: string, threadId: number): Promise<void> {
  try {
    await api.closeForumTopic(chatId, threadId);
  } catch (error) {
    if (refusedWith(error, 'TOPIC_NOT_MODIFIED', 'message thread not found', 'TOPIC_DELETED', 'TOPIC_ID_INVALID')) return;
    throw error;
  }
}
