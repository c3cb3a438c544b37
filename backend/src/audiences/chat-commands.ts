import type { InboundHook } from '../inbound/hooks';
import { findTopic, isMemberLead, setStoppedForLead, topicKeySchema } from './topics';

/** `/stop <key>` and `/resume <key>`: `/start` is taken by Telegram's deep links (and our link tokens). */
const COMMAND = /^\/(stop|resume)\s+(\S{1,64})$/;

/**
 * Inbound hook: a person stops (or takes back) a topic's non-critical messages from the chat. Only
 * a member of an existing topic is answered and the update consumed; anything else is an ordinary
 * message. The preference is written in the update's transaction.
 */
export const topicChatCommands: InboundHook = async (ctx, { trx, update, lead }) => {
  if (update.kind !== 'message' || update.text === undefined) return undefined;
  const command = COMMAND.exec(update.text.trim());
  if (!command) return undefined;
  const key = topicKeySchema.safeParse(command[2].toLowerCase());
  if (!key.success) return undefined;
  const topic = await findTopic(trx, lead.botId, key.data);
  if (!topic || !(await isMemberLead(trx, topic, lead))) return undefined;
  const stop = command[1] === 'stop';
  await setStoppedForLead(trx, topic, lead, stop, ctx.clock.now());
  const text = stop
    ? `You will no longer get "${topic.name}" messages, except critical ones. Send /resume ${topic.key} to get them again.`
    : `You will get "${topic.name}" messages again. Send /stop ${topic.key} to stop them.`;
  return { consumed: true, reply: { text } };
};
