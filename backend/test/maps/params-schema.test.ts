import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ensureBuiltCli } from '../support/cli';
import { compileParamsValidator, MAX_SUBSCHEMAS, MAX_TEXT_SCANS, MAX_VALUE_CHECKS } from '../../src/maps/params-schema';
import { validateMapDocument } from '../../src/maps/map-document';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/** Most characters one string may have inside a 1 MB body, with room for the envelope. */
const BODY_STRING = 1_000_000;

const mapWith = (params: Record<string, unknown>) => ({ name: 'Hostile', endpoints: [{ alias: 'x/y', purpose: 'p', owner: 'o', params }] });
const importErrors = (params: Record<string, unknown>) => validateMapDocument(mapWith(params)).errors.map((error) => `${error.path}: ${error.message}`);

/** Best of three: the machine is shared, and the first run also pays for the JIT. */
function fastestCheckMs(schema: Record<string, unknown>, params: unknown): { ms: number; errors: number } {
  const validator = compileParamsValidator(schema);
  let best = Infinity;
  let errors = 0;
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    errors = validator.check(params, 'p').length;
    best = Math.min(best, performance.now() - started);
  }
  return { ms: best, errors };
}

/**
 * Times cases in a plain node process on the compiled build, with params from JSON.parse as the
 * server has them: under jest's module sandbox Ajv's generated code runs ~500 times slower.
 */
function timeInNode(cases: Array<[string, Record<string, unknown>, unknown]>): Array<{ name: string; ms: number; errors: number }> {
  const compiled = path.resolve(path.dirname(ensureBuiltCli()), 'maps/params-schema.js');
  const harness = `const { compileParamsValidator } = require(${JSON.stringify(compiled)});
    const time = (schema, params) => {
      const validator = compileParamsValidator(schema);
      let ms = Infinity, errors = 0;
      for (let run = 0; run < 3; run += 1) {
        const started = performance.now();
        errors = validator.check(params, 'p').length;
        ms = Math.min(ms, performance.now() - started);
      }
      return { ms, errors };
    };
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify(cases.map(([name, schema, params]) => ({ name, ...time(schema, params) }))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', harness], { input: JSON.stringify(cases), maxBuffer: 1 << 24, encoding: 'utf8' }));
}

const randomAb = (length: number) => Array.from({ length }, (_, i) => ((i * 7919) % 13 < 6 ? 'a' : 'b')).join('');
const anyOfChain = (depth: number): Record<string, unknown> =>
  depth === 0 ? { type: 'number' } : { anyOf: [{ type: 'string', pattern: '^(a|aa)+$' }, anyOfChain(depth - 1)] };

describe('params schemas that would stall the server', () => {
  it('runs patterns on a linear engine: ^(a+)+$ against 35 and 1,000,000 characters', () => {
    const schema = { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } };
    expect(fastestCheckMs(schema, { s: `${'a'.repeat(34)}b` }).errors).toBe(1);
    expect(fastestCheckMs(schema, { s: `${'a'.repeat(BODY_STRING)}b` }).ms).toBeLessThan(50);
  });

  it('refuses at import what cannot run in linear time or bounded work, naming the path', () => {
    expect(importErrors({ type: 'array', uniqueItems: true })).toEqual(['endpoints.0.params: not accepted: /: uniqueItems needs maxItems of at most 1000']);
    expect(importErrors({ properties: { tags: { uniqueItems: true, maxItems: 20_000 } } })).toEqual([
      'endpoints.0.params: not accepted: /properties/tags: uniqueItems needs maxItems of at most 1000',
    ]);
    expect(importErrors({ properties: { a: { pattern: '^(?=a)' } } })[0]).toMatch(/pattern "\^\(\?=a\)" is not supported \(patterns run on RE2/);
    expect(importErrors({ patternProperties: { '(a)\\1': {} } })[0]).toMatch(/not supported \(patterns run on RE2/);
    expect(importErrors({ properties: { re: { type: 'string', format: 'regex' } } })[0]).toMatch(/\/properties\/re: format "regex" is not supported/);
    expect(importErrors({ $defs: { a: {} }, properties: { a: { $ref: '#/$defs/a' } } })[0]).toMatch(/\/properties\/a: \$ref is not supported/);
    const wide = { allOf: Array.from({ length: MAX_SUBSCHEMAS }, () => ({ type: 'number' })) };
    expect(importErrors(wide)[0]).toMatch(/has 257 subschemas, more than 256/);
  });

  it('accepts property names that look like keywords', () => {
    expect(importErrors({ properties: { $ref: { type: 'string' }, format: { const: 'regex' }, uniqueItems: { type: 'boolean' } } })).toEqual([]);
  });

  it('compares uniqueItems as JSON values: key order aside, 1 and 1.0 alike', () => {
    const validator = compileParamsValidator({ type: 'array', maxItems: 10, uniqueItems: true });
    expect(validator.check([{ a: 1, b: [2] }, { b: [2], a: 1.0 }], 'p')).toEqual([{ path: 'p', message: 'must NOT have duplicate items' }]);
    expect(validator.check([{ a: 1 }, { a: '1' }, [1], 1, '1', null], 'p')).toEqual([]);
  });

  it('validates the worst schemas it accepts, at the largest params, within 50 ms', () => {
    const valuesAtBound = Math.floor(MAX_VALUE_CHECKS / MAX_SUBSCHEMAS);
    const cases: Array<[string, Record<string, unknown>, unknown]> = [
      ['a pattern RE2 reads slowest ([ab]*a[ab]{20}$), at the scan bound', { properties: { s: { type: 'string', maxLength: 2 * BODY_STRING, pattern: '[ab]*a[ab]{20}$' } } }, { s: randomAb(Math.floor(MAX_TEXT_SCANS / 26) - 10) }],
      ['nested pattern, 1,000,000 characters (refused before validation)', { properties: { s: { type: 'string', maxLength: 2 * BODY_STRING, pattern: '^((a|aa)+|(a*)*b?)+$' } } }, { s: `${'a'.repeat(BODY_STRING)}c` }],
      ['254 patterns on one string at the scan bound', { properties: { s: { allOf: Array.from({ length: 254 }, () => ({ pattern: '^(a+)+$' })) } } }, { s: 'a'.repeat(Math.floor(MAX_TEXT_SCANS / 254 / 9) - 10) }],
      ['uniqueItems over 1,000 arrays that differ first', { type: 'array', maxItems: 1000, uniqueItems: true }, Array.from({ length: 1000 }, (_, i) => [i, ...Array(30).fill(0)])],
      ['uniqueItems over 1,000 objects of 20 keys', { type: 'array', maxItems: 1000, uniqueItems: true }, Array.from({ length: 1000 }, (_, i) => ({ z: i, ...Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`k${k}`, k])) }))],
      ['uniqueItems over 1,000,000 characters (refused before validation)', { type: 'array', maxItems: 1000, uniqueItems: true }, Array.from({ length: 1000 }, (_, i) => `${i}${'x'.repeat(1000)}`)],
      ['anyOf 254 wide, every item matching the last branch', { type: 'array', items: { anyOf: [...Array.from({ length: 253 }, () => ({ type: 'string' })), { type: 'number' }] } }, Array(valuesAtBound - 2).fill(0)],
      ['allOf 254 wide, every item failing (first error only)', { type: 'array', items: { allOf: Array.from({ length: 254 }, () => ({ type: 'number' })) } }, Array(valuesAtBound - 2).fill('x')],
      ['anyOf nested 120 deep with patterns', anyOfChain(120), 'a'.repeat(40)],
      ['500,000 numbers, small schema (refused before validation)', { type: 'array', items: { type: 'number', minimum: 0, maximum: 10 } }, Array(500_000).fill(1)],
      ['500,000 values over the bound (refused before validation)', { type: 'array', items: { anyOf: Array.from({ length: 254 }, () => ({ type: 'number' })) } }, Array(500_000).fill(1)],
      ['every error listed, at the listing bound', { type: 'array', items: { allOf: Array.from({ length: 254 }, () => ({ type: 'number' })) } }, Array(18).fill('x')],
    ];
    const timings = timeInNode(cases);
    process.stdout.write(`${timings.map((t) => `${t.ms.toFixed(1).padStart(6)} ms  ${t.errors} errors  ${t.name}`).join('\n')}\n`);
    expect(timings.filter((timing) => timing.ms >= 50)).toEqual([]);
  });
});

describe(`a hostile params schema over HTTP (${dialect})`, () => {
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  it('refuses uniqueItems without maxItems at import with the path, and answers ^(a+)+$ at once', async () => {
    const { botId, token } = await backend.createBot();
    const refused = await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token, body: { document: mapWith({ properties: { ids: { uniqueItems: true } } }) } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ path: 'endpoints.0.params', message: 'not accepted: /properties/ids: uniqueItems needs maxItems of at most 1000' }]);

    const map = mapWith({ type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } });
    expect((await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token, body: { document: map } })).status).toBe(201);
    const started = performance.now();
    const res = await backend.request('POST', `/api/v1/bots/${botId}/call/x/y`, { token, body: { script_request_params: { s: `${'a'.repeat(34)}b` } } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.body).toMatchObject({ success: false, errorCode: 422, errors: [{ path: 'script_request_params.s', message: 'must match pattern "^(a+)+$"' }] });
    expect((await backend.request('GET', '/healthz')).status).toBe(200);
  });
});
