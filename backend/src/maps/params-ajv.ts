import Ajv2020 from 'ajv/dist/2020';
import type { RegExpEngine } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';

// Ajv and RE2, set up for params schemas. params-schema.ts loads this module on the first schema it
// checks, not at start (docs/ARCHITECTURE.md, "Memory at start"): until a map is imported or
// called, nothing needs it.

/** Ajv's RegExpEngine on RE2: no backtracking, so `^(a+)+$` costs what `^a+$` costs. */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    try {
      const compiled = RE2JS.compile(pattern);
      // Ajv caches patterns by toString(): it must name the pattern.
      return { test: (text: string) => compiled.test(text), toString: () => pattern };
    } catch (error) {
      throw new Error(`pattern "${pattern}" is not supported (patterns run on RE2: no lookaround, no backreferences): ${(error as Error).message}`);
    }
  },
  { code: 're2js' },
);

/** One text per JSON value, equal exactly when JSON Schema calls the values equal (key order aside). */
function canonicalText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalText).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${canonicalText(record[key])}`).join(',')}}`;
}

function createAjv(allErrors: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors, strict: false, code: { regExp: linearRegExp } });
  addFormats(ajv);
  // Ajv's own uniqueItems compares every pair of objects: 20,000 of them took 12.6 s.
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({
    keyword: 'uniqueItems',
    type: 'array',
    schemaType: 'boolean',
    error: { message: 'must NOT have duplicate items' },
    validate: (unique: boolean, items: unknown[]) => !unique || new Set(items.map(canonicalText)).size === items.length,
  });
  return ajv;
}

/** Stops at the first error (a valid request is checked once, by this one). */
export const fast = createAjv(false);
/** Lists every error, for a request `fast` refused. */
export const thorough = createAjv(true);

interface Re2Internals {
  re2Input?: { prog?: { inst?: unknown[] } };
}

/** The instructions of a pattern's RE2 program (re2js keeps it on the compiled object); 0 if it does not compile. */
export function patternWeight(pattern: string): number {
  try {
    return (RE2JS.compile(pattern) as unknown as Re2Internals).re2Input?.prog?.inst?.length ?? pattern.length;
  } catch {
    return 0; // Ajv's compile reports it
  }
}
