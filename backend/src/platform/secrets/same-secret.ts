import crypto from 'node:crypto';

/** Compares a secret a caller sent with the stored one in constant time (timingSafeEqual throws on different lengths). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
