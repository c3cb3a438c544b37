import { z } from 'zod';
import type { FieldError } from '../platform/errors';
import { zodIssuesToFieldErrors } from '../platform/errors';
import { compileParamsValidator, schemaProblems } from './params-schema';

/** An integration endpoint alias: segments of letters, digits, `_` and `-`, joined by `/`. */
export const aliasSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'an alias is segments of A-Z a-z 0-9 _ - joined by /');

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

/** Validates a map completely: its shape, unique aliases, and that every params schema is accepted and compiles. */
export function validateMapDocument(input: unknown): { map?: MapDocument; errors: FieldError[] } {
  const parsed = mapDocumentSchema.safeParse(input);
  if (!parsed.success) return { errors: zodIssuesToFieldErrors(parsed.error) };
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  parsed.data.endpoints.forEach((endpoint, index) => {
    if (seen.has(endpoint.alias)) errors.push({ path: `endpoints.${index}.alias`, message: `duplicate alias "${endpoint.alias}"` });
    seen.add(endpoint.alias);
    errors.push(...paramsSchemaErrors(endpoint.params, `endpoints.${index}.params`));
  });
  return errors.length ? { errors } : { map: parsed.data, errors };
}
