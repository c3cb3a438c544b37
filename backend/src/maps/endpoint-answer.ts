import { z } from 'zod';

/**
 * What an endpoint answers the calling system when the workflow decides (docs/guide.md, "Answers
 * decided by the workflow"): the contract of every call answer — `success`, `message`, an optional
 * `errorCode` and `errors` — plus any fields of the endpoint's own. Used for a map's `fallback` and
 * for the answer a workflow responds with.
 */

/** Keys the backend sets on every answer itself; an endpoint's answer may not carry them. */
export const RESERVED_ANSWER_KEYS = ['trace_id', 'event_id', 'answered_by', 'queued', 'dry_run'] as const;

/** The largest answer a workflow may respond with, and the largest fallback a map may declare. */
export const MAX_WORKFLOW_ANSWER_BYTES = 64 * 1024;
export const MAX_FALLBACK_BYTES = 4 * 1024;

export const ANSWER_TIMEOUT_MS = { default: 10_000, min: 100, max: 30_000 } as const;

export const endpointAnswerSchema = z
  .looseObject({
    success: z.boolean(),
    message: z.string().max(2000).default(''),
    errorCode: z.number().int().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).max(100).optional(),
  })
  .superRefine((answer, ctx) => {
    for (const key of RESERVED_ANSWER_KEYS) {
      if (key in answer) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is set by the backend, not by the endpoint's answer` });
    }
  });

export type EndpointAnswer = z.output<typeof endpointAnswerSchema>;

/** Why a workflow's response cannot be the answer, or the answer it gives. */
export function parseWorkflowAnswer(statusCode: number | null, body: string | null, truncated: boolean): { answer: EndpointAnswer } | { problem: string } {
  if (statusCode === null || statusCode < 200 || statusCode >= 300) return { problem: statusCode === null ? 'no response' : `HTTP ${statusCode}` };
  if (truncated) return { problem: `answer over ${MAX_WORKFLOW_ANSWER_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return { problem: 'answer is not JSON' };
  }
  // Respond to Webhook's "All Incoming Items" answers an array: one item is an answer.
  if (Array.isArray(json) && json.length === 1) json = json[0];
  const parsed = endpointAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `answer has the wrong shape: ${issue.path.join('.') || 'body'}: ${issue.message}` };
  }
  return { answer: parsed.data };
}
