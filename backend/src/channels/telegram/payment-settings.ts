import { z } from 'zod';
import type { EndpointAnswer } from '../../maps/endpoint-answer';

/**
 * Telegram cancels a payment whose pre-checkout query has no answer within 10 seconds of being
 * sent. A workflow's answer is therefore waited for at most 8 s from its arrival here, which leaves
 * the rest for the fan-out, the request to Telegram and a loaded machine.
 */
export const PRE_CHECKOUT_TIMEOUT_MS = { default: 5_000, min: 500, max: 8_000 } as const;

export const preCheckoutAnswerSchema = z
  .object({
    ok: z.boolean().meta({ description: 'true: the payment goes on; false: it is refused with errorMessage' }),
    errorMessage: z.string().trim().min(1).max(255).optional().meta({ description: 'Shown to the person when ok is false (required then)' }),
  })
  .refine((a) => a.ok || a.errorMessage !== undefined, { message: 'give errorMessage when ok is false', path: ['errorMessage'] })
  .meta({ id: 'PreCheckoutAnswer' });
export type PreCheckoutAnswer = z.output<typeof preCheckoutAnswerSchema>;

/**
 * `settings.payments` of a bot. `preCheckout: "rule"` answers every pre-checkout at once with
 * `answer`; `"workflow"` hands it to the subscribed workflow (Answer Pre-Checkout) and sends
 * `answer` when none answers within `workflowTimeoutMs`.
 */
export const paymentSettingsSchema = z
  .object({
    preCheckout: z.enum(['rule', 'workflow']).default('rule'),
    workflowTimeoutMs: z.number().int().min(PRE_CHECKOUT_TIMEOUT_MS.min).max(PRE_CHECKOUT_TIMEOUT_MS.max).default(PRE_CHECKOUT_TIMEOUT_MS.default),
    answer: preCheckoutAnswerSchema.default({ ok: true }).meta({ description: 'The rule\'s answer, and the default when the workflow does not answer in time' }),
  })
  .meta({ id: 'PaymentSettings' });
export type PaymentSettings = z.output<typeof paymentSettingsSchema>;

/**
 * The stored settings; those of earlier versions (`preCheckout: "accept" | "reject"` with
 * `rejectMessage`) read as the rule they were, and anything unreadable as accepting.
 */
export function readPaymentSettings(stored: unknown): PaymentSettings {
  const legacy = stored as { preCheckout?: unknown; rejectMessage?: unknown } | undefined;
  if (legacy?.preCheckout === 'reject') return paymentSettingsSchema.parse({ answer: { ok: false, errorMessage: String(legacy.rejectMessage ?? 'This payment cannot be taken now.').slice(0, 255) } });
  const parsed = paymentSettingsSchema.safeParse(legacy?.preCheckout === 'accept' ? {} : (stored ?? {}));
  return parsed.success ? parsed.data : paymentSettingsSchema.parse({});
}

/** A pre-checkout answer in the shape `call_answers` keeps for every answer: success, message. */
export function toCallAnswer(answer: PreCheckoutAnswer): EndpointAnswer {
  return { success: answer.ok, message: answer.errorMessage ?? '' };
}

export function fromCallAnswer(answer: EndpointAnswer): PreCheckoutAnswer {
  return answer.success ? { ok: true } : { ok: false, errorMessage: answer.message || 'This payment cannot be taken now.' };
}
