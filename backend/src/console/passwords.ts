import type * as Argon2 from '@node-rs/argon2';
import { z } from 'zod';

/** The argon2 native addon, loaded on the first password hashed or checked, not at start (docs/ARCHITECTURE.md, "Memory at start"). */
const argon2 = () => require('@node-rs/argon2') as typeof Argon2;

/** Long enough that the throttle, not the length, is what stops guessing; capped so hashing stays bounded. */
export const passwordSchema = z.string().min(12, 'at least 12 characters').max(256);

/**
 * argon2id with the library's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommended minimum),
 * computed on libuv's thread pool, so a login does not block the event loop.
 */
export function hashPassword(password: string): Promise<string> {
  return argon2().hash(password);
}

/**
 * Checked for an unknown or disabled account too, so the answer takes as long as for a real one
 * and its timing does not tell which emails have accounts. A fixed hash with the same parameters; what
 * it matches does not matter, since an unknown account never logs in.
 */
const NOBODY = '$argon2id$v=19$m=19456,t=2,p=1$vtLpah/JHIe70BHo5kZesw$/Bpm44k9hWMT3C/MEgHSde4rwmKd/k8pc3qF8iwfoyc';

export async function passwordMatches(storedHash: string | undefined, password: string): Promise<boolean> {
  try {
    const matches = await argon2().verify(storedHash ?? NOBODY, password);
    return storedHash !== undefined && matches;
  } catch {
    return false;
  }
}
