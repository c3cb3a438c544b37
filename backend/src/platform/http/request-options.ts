import type { Request } from 'express';
import { ApiError } from './errors';
import { idempotencyKeySchema } from './once-per-key';

const truthy: readonly string[] = ['1', 'true', 'yes'];

/** `?dry_run=` or `X-Dry-Run:` with 1/true/yes: validate everything, write nothing. */
export function isDryRun(req: Request): boolean {
  return truthy.includes(String(req.query.dry_run ?? req.get('x-dry-run') ?? '').toLowerCase());
}

/** The `Idempotency-Key` header, if given; 400 when it is not 1-200 printable ASCII characters. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header === undefined) return undefined;
  const key = idempotencyKeySchema.safeParse(header);
  if (!key.success) throw new ApiError(400, 'Idempotency-Key must be 1-200 printable ASCII characters');
  return key.data;
}
