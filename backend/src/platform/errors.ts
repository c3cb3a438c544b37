import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

/** What went wrong, in the domain's words; the HTTP layer chooses the status (`http/errors.ts`). */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

/** An error a capability throws for its caller, with a message that is safe to show. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, errors: FieldError[] = []) => new DomainError('invalid', message, errors);
export const notFound = (message: string) => new DomainError('not_found', message);
export const conflict = (message: string) => new DomainError('conflict', message);
export const forbidden = (message: string) => new DomainError('forbidden', message);

export function zodIssuesToFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
}

/** Parses input with a zod schema; a mismatch is `invalid`, listing every problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalid(`Invalid ${what}`, zodIssuesToFieldErrors(result.error));
  return result.data;
}
