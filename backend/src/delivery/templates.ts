import { Liquid, type Template } from 'liquidjs';
import type { MessageButton } from '../channels/channel';
import type { Profile } from '../channels/inbound-update';

export type ParseMode = 'HTML' | 'MarkdownV2' | undefined;

const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escapeMarkdownV2 = (value: unknown) => String(value ?? '').replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, '\\$&');

/**
 * LiquidJS set up for text that business users edit: unknown filters are errors, only own
 * properties are visible, no file system (`templates: {}`), and parse/render limits. Values are
 * escaped for the message's parse mode so a lead's name cannot break Telegram's markup.
 */
function engine(outputEscape?: (value: unknown) => string): Liquid {
  return new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    templates: {},
    parseLimit: 100_000,
    renderLimit: 200,
    memoryLimit: 10_000_000,
    ...(outputEscape ? { outputEscape } : {}),
  });
}

const engines = { plain: engine(), HTML: engine(escapeHtml), MarkdownV2: engine(escapeMarkdownV2) };

function engineFor(parseMode: ParseMode): Liquid {
  return parseMode ? engines[parseMode] : engines.plain;
}

export interface MessageTemplate {
  parseMode: ParseMode;
  text: Template[];
  buttons?: Array<Array<{ text: Template[]; data?: string; url?: string }>>;
}

/** Parses the text and button labels once; throws LiquidError (with line and column) on a bad template. */
export function compileTemplate(text: string, parseMode: ParseMode, buttons?: MessageButton[][]): MessageTemplate {
  const liquid = engineFor(parseMode);
  return {
    parseMode,
    text: liquid.parse(text),
    buttons: buttons?.map((row) => row.map((b) => ({ text: engines.plain.parse(b.text), data: b.data, url: b.url }))),
  };
}

/** Text that renders as itself: every `{` becomes an output of the string "{", so no tag can start. */
export function literalText(text: string): string {
  return text.replace(/\{/g, "{{ '{' }}");
}

export interface TemplateScope {
  lead: { id: string; channel: string; chatId: string; attributes: Record<string, unknown> } & Profile;
  user: { userId: string | null };
  params: Record<string, unknown>;
}

export function renderTemplate(template: MessageTemplate, scope: TemplateScope): { text: string; buttons?: MessageButton[][] } {
  const liquid = engineFor(template.parseMode);
  const data = scope as unknown as Record<string, unknown>;
  return {
    text: liquid.renderSync(template.text, data) as string,
    buttons: template.buttons?.map((row) =>
      row.map((b) => ({ text: engines.plain.renderSync(b.text, data) as string, ...(b.data !== undefined ? { data: b.data } : {}), ...(b.url !== undefined ? { url: b.url } : {}) })),
    ),
  };
}
