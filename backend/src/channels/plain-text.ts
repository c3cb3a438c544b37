import type { RenderedMessage } from './channel';

const entities: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };

/**
 * Telegram markup reduced to its text, for channels that show plain text (the web chat sets it with
 * textContent; WhatsApp has a markup of its own). HTML tags are dropped and entities decoded;
 * MarkdownV2 escapes are removed.
 */
export function plainText(text: string, parseMode: RenderedMessage['parseMode']): string {
  if (parseMode === 'HTML') return text.replace(/<[^>]*>/g, '').replace(/&(lt|gt|quot|#39|amp);/g, (entity) => entities[entity]);
  if (parseMode === 'MarkdownV2') return text.replace(/\\([_*[\]()~`>#+\-=|{}.!\\])/g, '$1');
  return text;
}
