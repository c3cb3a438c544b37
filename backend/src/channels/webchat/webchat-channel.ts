import type { OutboundChannel, RenderedMedia, RenderedMessage } from '../channel';
import { plainText } from '../plain-text';
import { appendChatMessage, type ChatFile, type ChatMessage, type ChatMessageBody } from './history';
import type { WebchatContext } from './hub';
import { findVisitorFile } from './visitor-files';

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

/** The name a file by URL is shown under: the last part of its path, else its host. */
function nameOfUrl(url: string): string {
  const parsed = new URL(url);
  const last = decodeURIComponent(parsed.pathname.split('/').pop() ?? '').slice(0, 255);
  return last || parsed.hostname;
}

/** A file as the page gets it, or the reason the web chat cannot show it. */
async function chatFile(ctx: WebchatContext, botId: number, media: RenderedMedia): Promise<ChatFile | string> {
  const { kind, source } = media;
  if ('url' in source) return { kind, url: source.url, name: nameOfUrl(source.url) };
  if ('upload' in source) {
    const { ref, fileName, size, mimeType } = source.upload;
    return { kind, ref: `m:${ref}`, name: fileName, size, ...(mimeType ? { mimeType } : {}) };
  }
  // A file id: only a web-chat visitor's file of this bot (a workflow passing on what a visitor sent).
  const file = await findVisitorFile(ctx, botId, source.fileId);
  if (!file) return 'the web chat shows a file id only of a file a web-chat visitor sent to this bot (not a Telegram file id)';
  return { kind, ref: `w:${file.fileId}`, name: file.fileName, size: file.size, mimeType: file.mimeType };
}

/**
 * What the web chat shows of a message's files: the media or album as file entries the page
 * renders (image, player, file card; an album as a grid), a location as its coordinates (the page
 * links a map). An invoice or a file it cannot show is refused with the reason (the recipient fails with it).
 */
export async function webchatFiles(ctx: WebchatContext, botId: number, message: RenderedMessage): Promise<Pick<ChatMessageBody, 'media' | 'album' | 'location'> | string> {
  if (message.invoice) return 'payments are Telegram only: the web chat takes no invoice';
  const shown: Pick<ChatMessageBody, 'media' | 'album' | 'location'> = message.location ? { location: message.location } : {};
  if (message.media) {
    const media = await chatFile(ctx, botId, message.media);
    if (typeof media === 'string') return media;
    shown.media = media;
  }
  if (message.album) {
    const album: ChatFile[] = [];
    for (const item of message.album) {
      const file = await chatFile(ctx, botId, item);
      if (typeof file === 'string') return file;
      album.push(item.caption ? { ...file, caption: item.caption } : file);
    }
    shown.album = album;
  }
  return shown;
}

/** The web chat for the delivery worker: a send is one insert, so it fails only when the database does (retried). */
export function webchatChannel(ctx: WebchatContext): OutboundChannel {
  return {
    name: 'webchat',
    async send(recipient, message) {
      try {
        const files = await webchatFiles(ctx, recipient.botId, message);
        if (typeof files === 'string') return { kind: 'permanent', reason: files };
        const stored = await sendToVisitor(ctx, recipient.botId, recipient.chatId, { ...chatBody(message), ...files });
        return { kind: 'ok', externalId: String(stored.id) };
      } catch (error) {
        return { kind: 'transient', reason: `web chat history: ${(error as Error).message}` };
      }
    },
  };
}
