import { z } from 'zod';
import type { FieldError } from '../platform/errors';
import { zodIssuesToFieldErrors } from '../platform/errors';
import { ANSWER_TIMEOUT_MS, endpointAnswerSchema, MAX_FALLBACK_BYTES } from './endpoint-answer';
import { compileParamsValidator, schemaProblems } from './params-schema';

/** An integration endpoint alias: segments of letters, digits, `_` and `-`, joined by `/`. */
export const aliasSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'an alias is segments of A-Z a-z 0-9 _ - joined by /');

const withinHours = z.number().int().min(1).max(2160).meta({ description: 'The goal counts when it happens within this many hours of the send (at most 90 days)' });

/**
 * What a communication is for: the CRM calling another alias for the same user
 * (`{alias: "payments/succeeded", withinHours: 72}`), an event of the bot for the same person
 * (`{event: "user.linked", …}`), or a tap on a button with this data (`{button: "buy", …}`).
 * Conversion (docs/analytics.md) counts the recipients for whom it happened in time.
 */
export const goalSchema = z
  .union([
    z.strictObject({ alias: aliasSchema, withinHours }),
    z.strictObject({ event: z.string().max(64).regex(/^[a-z_]+(\.[a-z_]+)+$/, 'an event type is lower-case words joined by dots'), withinHours }),
    z.strictObject({ button: z.string().min(1).max(64), withinHours }),
  ])
  .meta({ id: 'CommunicationGoal' });
export type Goal = z.infer<typeof goalSchema>;

export const mapEndpointSchema = z.object({
  alias: aliasSchema,
  purpose: z.string().trim().min(1).max(1000),
  owner: z.string().trim().min(1).max(200),
  description: z.string().max(5000).optional(),
  critical: z.boolean().default(false),
  /** JSON Schema (2020-12) of `script_request_params`. */
  params: z.record(z.string(), z.unknown()).default({ type: 'object' }),
  /** Metabot answers "user not found" when none of the params' userId/userIds is linked. */
  requiresLinkedUser: z.boolean().default(false),
  /** Who answers the call: the backend once the call is stored ("accepted", the default), or the workflow. */
  answer: z.enum(['accepted', 'workflow']).optional(),
  /** How long the call waits for the workflow's answer before `fallback` is sent. */
  answerTimeoutMs: z
    .number()
    .int()
    .min(ANSWER_TIMEOUT_MS.min, `must be ${ANSWER_TIMEOUT_MS.min}-${ANSWER_TIMEOUT_MS.max} ms`)
    .max(ANSWER_TIMEOUT_MS.max, `must be ${ANSWER_TIMEOUT_MS.min}-${ANSWER_TIMEOUT_MS.max} ms`)
    .optional(),
  /** The answer sent when the workflow does not answer in time, or answers something unusable. */
  fallback: endpointAnswerSchema.optional(),
  goal: goalSchema.optional(),
});

/** A bot's communication map: the endpoints a business system may call, and what each one means. */
export const mapDocumentSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000).optional(),
    endpoints: z.array(mapEndpointSchema).max(1000),
  })
  .meta({ id: 'CommunicationMap' });

export type MapDocument = z.output<typeof mapDocumentSchema>;
export type MapEndpoint = MapDocument['endpoints'][number];

/** A params schema's errors: what this server refuses in one, else whether Ajv compiles it. */
function paramsSchemaErrors(schema: Record<string, unknown>, path: string): FieldError[] {
  const { problems } = schemaProblems(schema);
  if (problems.length) return problems.map((problem) => ({ path, message: `not accepted: ${problem}` }));
  try {
    compileParamsValidator(schema);
    return [];
  } catch (error) {
    return [{ path, message: `not a valid JSON Schema: ${(error as Error).message}` }];
  }
}

/** An endpoint's answer settings: a fallback only with (and always with) a workflow answer, and small. */
function answerErrors(endpoint: MapEndpoint, path: string): FieldError[] {
  if (endpoint.answer !== 'workflow') {
    return (['answerTimeoutMs', 'fallback'] as const)
      .filter((key) => endpoint[key] !== undefined)
      .map((key) => ({ path: `${path}.${key}`, message: 'applies only to an endpoint with answer: "workflow"' }));
  }
  if (!endpoint.fallback) return [{ path: `${path}.fallback`, message: 'required with answer: "workflow": what the caller gets when the workflow does not answer in time' }];
  if (Buffer.byteLength(JSON.stringify(endpoint.fallback)) > MAX_FALLBACK_BYTES) return [{ path: `${path}.fallback`, message: `must be at most ${MAX_FALLBACK_BYTES} bytes of JSON` }];
  return [];
}

/** The answer timeout of an endpoint that answers from the workflow. */
export function answerTimeoutOf(endpoint: MapEndpoint): number {
  return endpoint.answerTimeoutMs ?? ANSWER_TIMEOUT_MS.default;
}

/** Validates a map completely: its shape, unique aliases, answers, and that every params schema is accepted and compiles. */
export function validateMapDocument(input: unknown): { map?: MapDocument; errors: FieldError[] } {
  const parsed = mapDocumentSchema.safeParse(input);
  if (!parsed.success) return { errors: zodIssuesToFieldErrors(parsed.error) };
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  parsed.data.endpoints.forEach((endpoint, index) => {
    if (seen.has(endpoint.alias)) errors.push({ path: `endpoints.${index}.alias`, message: `duplicate alias "${endpoint.alias}"` });
    seen.add(endpoint.alias);
    errors.push(...answerErrors(endpoint, `endpoints.${index}`));
    errors.push(...paramsSchemaErrors(endpoint.params, `endpoints.${index}.params`));
  });
  const aliases = new Set(parsed.data.endpoints.map((e) => e.alias));
  parsed.data.endpoints.forEach((endpoint, index) => {
    const goal = endpoint.goal;
    if (!goal || !('alias' in goal)) return;
    if (goal.alias === endpoint.alias) errors.push({ path: `endpoints.${index}.goal.alias`, message: 'a communication cannot be its own goal' });
    else if (!aliases.has(goal.alias)) errors.push({ path: `endpoints.${index}.goal.alias`, message: `"${goal.alias}" is not an endpoint of this map` });
  });
  return errors.length ? { errors } : { map: parsed.data, errors };
}
