import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import type { FieldError } from '../platform/errors';
import { measureJson } from '../platform/json-size';
import type * as ParamsAjv from './params-ajv';

/** Ajv and RE2 with their set-up, loaded on the first schema checked (params-ajv.ts). */
const paramsAjv = () => require('./params-ajv') as typeof ParamsAjv;

/**
 * The JSON Schemas integrators write for `script_request_params`, compiled so that no schema and
 * no request can hold the event loop: patterns run on RE2 (linear in the input), `uniqueItems`
 * compares canonical texts in a set instead of every pair, and a schema's size and a request's
 * size are bounded together before anything runs (docs/security.md, "Map schemas cannot stall the
 * server").
 */

/** The largest array `uniqueItems` may be asked of. */
export const MAX_UNIQUE_ITEMS = 1000;
/** Subschemas (objects in schema position) in one params schema. */
export const MAX_SUBSCHEMAS = 256;
/**
 * values in the params × subschemas: the most keyword checks one request may cost. A failing anyOf
 * branch builds an error object (~1 µs), so 40,000 checks stay under ~40 ms in the worst case (an
 * anyOf 254 wide where every value matches only the last branch); a real CRM call costs hundreds.
 */
export const MAX_VALUE_CHECKS = 40_000;
/**
 * text of the params × the weight of its patterns and uniqueItems: the most one request may make
 * them read. RE2 is linear in the text but, when its DFA gives up, also in the size of the compiled
 * pattern: `[ab]*a[ab]{20}$` (26 instructions) reads 100,000 characters in ~600 ms, so a pattern
 * weighs its instruction count.
 */
export const MAX_TEXT_SCANS = 150_000;
/** What uniqueItems weighs against MAX_TEXT_SCANS: a canonical text of the array, ~4 times a pattern instruction. */
const UNIQUE_ITEMS_WEIGHT = 4;
/** Beyond this many value checks an invalid request gets its first error, not all of them (each is an object). */
const MAX_CHECKS_LISTING_ALL_ERRORS = 5_000;

const schemaMaps: readonly string[] = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const dataKeywords: readonly string[] = ['const', 'enum', 'default', 'examples'];
const refKeywords = ['$ref', '$dynamicRef', '$recursiveRef'];

interface SchemaNode {
  schema: Record<string, unknown>;
  pointer: string;
}

/** What a schema costs per value it is applied to, counted by `schemaProblems`. */
interface SchemaCost {
  subschemas: number;
  textScans: number;
}

function problemsOfNode({ schema, pointer }: SchemaNode): string[] {
  const problems = refKeywords.filter((key) => key in schema).map((key) => `${pointer || '/'}: ${key} is not supported; write the schema inline`);
  if (schema.format === 'regex') problems.push(`${pointer || '/'}: format "regex" is not supported (compiling regular expressions sent by callers is unbounded work)`);
  const maxItems = schema.maxItems;
  if (schema.uniqueItems === true && !(typeof maxItems === 'number' && maxItems <= MAX_UNIQUE_ITEMS)) {
    problems.push(`${pointer || '/'}: uniqueItems needs maxItems of at most ${MAX_UNIQUE_ITEMS}`);
  }
  return problems;
}

/** The subschemas directly inside one: values of schema keywords, of arrays of them, of maps of them. */
function childrenOf({ schema, pointer }: SchemaNode): SchemaNode[] {
  const children: SchemaNode[] = [];
  const add = (value: unknown, at: string) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) children.push({ schema: value as Record<string, unknown>, pointer: at });
  };
  for (const [key, value] of Object.entries(schema)) {
    if (dataKeywords.includes(key) || typeof value !== 'object' || value === null) continue;
    const at = `${pointer}/${key}`;
    if (Array.isArray(value)) value.forEach((item, index) => add(item, `${at}/${index}`));
    else if (schemaMaps.includes(key)) Object.entries(value).forEach(([name, item]) => add(item, `${at}/${name}`));
    else add(value, at);
  }
  return children;
}

/** What one subschema weighs against MAX_TEXT_SCANS per character of the value it checks. */
function textScanWeight(schema: Record<string, unknown>): number {
  const patternProperties = schema.patternProperties;
  const patterns = [
    ...(typeof schema.pattern === 'string' ? [schema.pattern] : []),
    ...(typeof patternProperties === 'object' && patternProperties !== null ? Object.keys(patternProperties) : []),
  ];
  return patterns.reduce((sum, pattern) => sum + paramsAjv().patternWeight(pattern), schema.uniqueItems === true ? UNIQUE_ITEMS_WEIGHT : 0);
}

/** Walks a params schema (iteratively) for what this server refuses and for what it will cost. */
export function schemaProblems(schema: Record<string, unknown>): { problems: string[]; cost: SchemaCost } {
  const problems: string[] = [];
  const cost: SchemaCost = { subschemas: 0, textScans: 0 };
  const stack: SchemaNode[] = [{ schema, pointer: '' }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    cost.subschemas += 1;
    cost.textScans += textScanWeight(node.schema);
    problems.push(...problemsOfNode(node));
    stack.push(...childrenOf(node));
  }
  if (cost.subschemas > MAX_SUBSCHEMAS) problems.push(`has ${cost.subschemas} subschemas, more than ${MAX_SUBSCHEMAS}`);
  return { problems, cost };
}

export function ajvErrorsToFieldErrors(errors: ErrorObject[] | null | undefined, prefix: string): FieldError[] {
  return (errors ?? []).map((error) => {
    const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
    const pointer = `${error.instancePath}${missing}`.replace(/^\//, '').replace(/\//g, '.');
    return { path: [prefix, pointer].filter(Boolean).join('.'), message: error.message ?? 'is invalid' };
  });
}

/** A compiled params schema: `check` answers the errors of a value, none when it is valid. */
export interface ParamsValidator {
  check(params: unknown, prefix: string): FieldError[];
}

/** Refuses what a request would cost before running anything: the estimate is an upper bound. */
function tooCostly(params: unknown, cost: SchemaCost): { valueChecks: number; refusal?: string } {
  const size = measureJson(params);
  const valueChecks = size.values * cost.subschemas;
  const textScans = (size.characters + size.values) * cost.textScans;
  if (valueChecks > MAX_VALUE_CHECKS) return { valueChecks, refusal: `too large for this endpoint's schema: ${size.values} values × ${cost.subschemas} subschemas is more than ${MAX_VALUE_CHECKS} checks` };
  if (textScans > MAX_TEXT_SCANS) return { valueChecks, refusal: `too large for this endpoint's patterns: ${textScans} characters to scan, more than ${MAX_TEXT_SCANS}` };
  return { valueChecks };
}

/** Compiles a params schema the map has already accepted (`schemaProblems` found nothing). */
export function compileParamsValidator(schema: Record<string, unknown>): ParamsValidator {
  const { cost } = schemaProblems(schema);
  const first: ValidateFunction = paramsAjv().fast.compile(schema);
  const every: ValidateFunction = paramsAjv().thorough.compile(schema);
  return {
    check(params, prefix) {
      const { valueChecks, refusal } = tooCostly(params, cost);
      if (refusal) return [{ path: prefix, message: refusal }];
      if (first(params)) return [];
      if (valueChecks > MAX_CHECKS_LISTING_ALL_ERRORS) return ajvErrorsToFieldErrors(first.errors, prefix);
      every(params);
      return ajvErrorsToFieldErrors(every.errors, prefix);
    },
  };
}
