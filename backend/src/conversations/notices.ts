import type { Knex } from 'knex';
import type { Bot } from '../bots/bots';
import { acceptMessage, sendMessageSchema } from '../delivery/messages';
import { literalText } from '../delivery/templates';
import type { AppContext } from '../platform/context';
import { type PersonText, textAndVariants } from './settings';

type Buttons = Array<Array<{ text: string; data: string }>>;

/**
 * Something the conversation tells the person (a timeout notice, the rating question) in their
 * latest chat, through the messages pipeline in the caller's transaction, in their language when
 * the text has one. Literal text: a bot's setting is not a template. Null when the chat cannot be reached.
 */
export async function tellPerson(trx: Knex, ctx: AppContext, bot: Bot, notice: { leadId: string; traceId: string; text: PersonText; buttons?: Buttons }): Promise<string | null> {
  const { text, variants } = textAndVariants(notice.text);
  const perLanguage = Object.entries(variants).map(([language, variant]) => [language, { text: literalText(variant), ...(notice.buttons ? { buttons: notice.buttons } : {}) }]);
  const request = sendMessageSchema.parse({
    leadIds: [notice.leadId],
    text: literalText(text),
    ...(perLanguage.length > 0 ? { variants: Object.fromEntries(perLanguage) } : {}),
    ...(notice.buttons ? { buttons: notice.buttons } : {}),
  });
  const accepted = await acceptMessage(trx, ctx, bot, request, { traceId: notice.traceId, dryRun: false });
  return accepted.outcome === 'queued' ? String(accepted.body.messageId) : null;
}
