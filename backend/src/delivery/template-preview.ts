import { z } from 'zod';
import { profileSchema } from '../channels/inbound-update';
import { userProfiles } from '../identity/accounts';
import type { Recipient } from '../identity/recipients';
import type { AppContext } from '../platform/context';
import { templateContentSchema } from './content-schema';
import { type PreviewEntry, previewOne, previewRecipient } from './messages';
import { compileTemplate, type MessageTemplate, TemplateError, type TemplateProblem } from './templates';

/**
 * A draft rendered as it is being written (the console's template editor): the dry run's own
 * preview (`previewOne`) for a lead or user of the bot, or for made-up values that are nobody's.
 * A template error is part of the answer, with its position, not a failed request: while a person
 * types, the text is broken most of the time.
 */
export const draftPreviewSchema = z
  .object({
    content: templateContentSchema,
    params: z.record(z.string(), z.unknown()).default({}),
    previewFor: z
      .object({ leadId: z.string().trim().min(1).max(200).optional(), userId: z.string().trim().min(1).max(200).optional() })
      .refine((p) => (p.leadId === undefined) !== (p.userId === undefined), 'give leadId or userId')
      .optional(),
    sample: profileSchema
      .extend({ userId: z.string().trim().min(1).max(200).optional(), attributes: z.record(z.string(), z.unknown()).default({}) })
      .optional()
      .meta({ description: 'Made-up values for `lead.*` and `user.userId` when no person is named' }),
  })
  .refine((d) => !(d.previewFor && d.sample), { message: 'give previewFor or sample, not both', path: ['sample'] })
  .meta({ id: 'TemplateDraftPreviewRequest' });
export type DraftPreview = z.output<typeof draftPreviewSchema>;

export interface DraftPreviewAnswer {
  /** Null when the draft does not parse or render: `errors` says where. */
  preview: PreviewEntry | null;
  errors: TemplateProblem[];
}

function sampleRecipient(sample: NonNullable<DraftPreview['sample']>): Recipient {
  const { userId, attributes, ...profile } = sample;
  return { leadId: 'sample', userId: userId ?? null, channel: 'telegram', chatId: 'sample', profile, attributes };
}

function compiled(draft: DraftPreview): MessageTemplate | TemplateProblem {
  try {
    return compileTemplate(draft.content);
  } catch (error) {
    if (error instanceof TemplateError) return error.problem;
    throw error;
  }
}

export async function previewDraft(ctx: AppContext, botId: number, draft: DraftPreview): Promise<DraftPreviewAnswer> {
  const recipient = draft.previewFor ? await previewRecipient(ctx.db, ctx, botId, draft.previewFor) : sampleRecipient(draft.sample ?? { attributes: {} });
  const template = compiled(draft);
  if (!('body' in template)) return { preview: null, errors: [template] };
  const profiles = draft.previewFor ? await userProfiles(ctx.db, botId, [recipient.userId]) : new Map<string, Record<string, unknown>>();
  try {
    return { preview: previewOne(template, { params: draft.params, parseMode: draft.content.parseMode }, recipient, profiles), errors: [] };
  } catch (error) {
    if (error instanceof TemplateError) return { preview: null, errors: [error.problem] };
    throw error;
  }
}
