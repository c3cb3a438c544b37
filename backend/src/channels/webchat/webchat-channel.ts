import type { OutboundChannel, RenderedMessage } from '../channel';
import { plainText } from '../plain-text';
import { appendChatMessage, type ChatMessage, type ChatMessageBody } from './history';
import type { WebchatContext } from './hub';

/** A rendered message (or an immediate reply of the inbound pipeline) as the history stores it. */
export function chatBody(rendered: RenderedMessage): ChatMessageBody {
  const text = plainText(rendered.text, rendered.parseMode);
  return {
    ...(text ? { text } : {}),
    // A button without data answers its label, as Telegram's callback_data does here.
    ...(rendered.buttons?.length ? { buttons: rendered.buttons.map((row) => row.map((b) => (b.url ? { text: b.text, url: b.url } : { text: b.text, data: b.data ?? b.text }))) } : {}),
    ...(rendered.imageUrl ? { imageUrl: rendered.imageUrl } : {}),
    ...(rendered.quickReplies?.length ? { quickReplies: rendered.quickReplies } : {}),
    ...(rendered.requestContact ? { requestContact: rendered.requestContact } : {}),
    ...(rendered.removeKeyboard ? { removeKeyboard: true } : {}),
  };
}

/** Writes a message to a visitor: the history row is the mailbox; connections here get it at once, others at their next poll. */
export async function sendToVisitor(ctx: WebchatContext, botId: number, visitorId: string, body: ChatMessageBody): Promise<ChatMessage> {
  const message = await appendChatMessage(ctx.db, { botId, visitorId, direction: 'out', body, now: ctx.clock.now() });
  ctx.webchatHub.nudge();
  return message;
}

/** The web chat for the delivery worker: a send is one insert, so it fails only when the database does (retried). */
export function webchatChannel(ctx: WebchatContext): OutboundChannel {
  return {
    name: 'webchat',
    async send(recipient, message) {
      try {
        const stored = await sendToVisitor(ctx, recipient.botId, recipient.chatId, chatBody(message));
        return { kind: 'ok', externalId: String(stored.id) };
      } catch (error) {
        return { kind: 'transient', reason: `web chat history: ${(error as Error).message}` };
      }
    },
  };
}
