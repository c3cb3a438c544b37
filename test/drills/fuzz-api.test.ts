import fc from 'fast-check';
import { errorBodySchema } from '../../backend/src/platform/http/errors';
import { useStandinBackend } from '../../backend/test/support/delivery';
import { dialect, type TestBackend } from '../../backend/test/support/test-backend';
import { type Endpoint, type JsonSchema, publishedEndpoints } from './support/api-surface';
import { changeMarker, type Snapshot, snapshotDatabase, snapshotDifferences } from './support/db-snapshot';
import { type DrillWorld, seedDrillWorld } from './support/fixtures';
import { closeRawAgent, type RawRequest, type RawResponse, rawRequest } from './support/raw-http';

/**
 * Malformed, oversized and wrong-typed requests at every published endpoint (and the public ones
 * outside /api/v1) of a real backend: no 5xx, errors in the documented shape, no stack trace, and a
 * refused request leaves every table as it was (a snapshot whenever the database's change marker
 * moved). Workers are off, so every change in the database is the doing of the request just answered.
 * No table is excluded from the comparison: a refusal is written to the log (with its trace id), never
 * to the database — the trace table records accepted work only.
 * METABOT_DRILLS_LONG=1 runs ten times more.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.METABOT_DRILLS_LONG === "1" ? 100_000 : 10_000));
const WORLDS = 10; // a fresh pair of bots every RUNS/WORLDS requests: accepted deletes wear a world out
const BODY_LIMIT_BYTES = 16 * 1024;

const PUBLIC_ROUTES: Array<Pick<Endpoint, 'method' | 'path' | 'pathParams'>> = [
  { method: 'GET', path: '/healthz', pathParams: [] },
  { method: 'GET', path: '/readyz', pathParams: [] },
  { method: 'GET', path: '/metrics', pathParams: [] },
  { method: 'GET', path: '/openapi.json', pathParams: [] },
  { method: 'GET', path: '/docs', pathParams: [] },
  { method: 'GET', path: '/docs/{botId}', pathParams: ['botId'] },
  { method: 'GET', path: '/docs/{botId}/openapi.json', pathParams: ['botId'] },
  { method: 'POST', path: '/telegram/{botId}/webhook', pathParams: ['botId'] },
  { method: 'GET', path: '/chat/{botId}', pathParams: ['botId'] },
  { method: 'GET', path: '/chat/{botId}/embed.js', pathParams: ['botId'] },
];

const printable = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom("' or 1=1 --", '"; drop table leads; --', '../../etc/passwd', '\u0000', '__proto__', 'constructor', '{{ lead.__proto__ }}', '{% for i in (1..100000000) %}x{% endfor %}', '<script>alert(1)</script>', 'NaN', '-1', '0', '1e309', '9'.repeat(400), 'ld_', 'sub_', 'mbt_x.y', '*', '**'),
  fc.integer({ min: 1000, max: 12_000 }).map((n) => 'x'.repeat(n)),
);
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(hostileText, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
/** Raw path fragments a client can send that `encodeURIComponent` would never produce. */
const rawFragment = fc.constantFrom('%', '%zz', '%00', '%2e%2e', '..', '.', '%2F', '%E0%A4%A', '%C0%AE', '', '%ff%fe', 'a%20b');

/** Values shaped like the request schema, each of them possibly of the wrong type. */
function shaped(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return hostileJson;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => shaped(s, depth + 1)));
  if (schema.enum?.length) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: hostileJson });
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const right: Record<string, () => fc.Arbitrary<unknown>> = {
    object: () => fc.record(Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, s]) => [key, shaped(s, depth + 1)])), { requiredKeys: [] }),
    array: () => fc.array(shaped(schema.items, depth + 1), { maxLength: 4 }),
    string: () => hostileText,
    number: () => fc.oneof(fc.double(), fc.integer()),
    integer: () => fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 2 ** 53, 1.5)),
    boolean: () => fc.boolean(),
  };
  const make = type ? right[type] : undefined;
  return make ? fc.oneof({ weight: 4, arbitrary: make() }, { weight: 1, arbitrary: hostileJson }) : hostileJson;
}

function bodyArbitrary(schema: JsonSchema | undefined): fc.Arbitrary<Buffer | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: shaped(schema).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT_BYTES, max: 4 * BODY_LIMIT_BYTES }).map((n) => Buffer.from(JSON.stringify({ pad: 'x'.repeat(n) }))) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 7000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"script_request_params":{"__proto__":{"polluted":true}}}', '{"a":1,"a":2}', '{"a":', '\ufeff{}', 'null', '"x"', '1e999').map((s) => Buffer.from(s)),
    },
  );
}

const contentTypes = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/csv',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'json',
  ';;;',
);

function requestArbitrary(target: Pick<Endpoint, 'method' | 'path' | 'pathParams'> & Partial<Endpoint>, world: DrillWorld, ownOrigin: string): fc.Arbitrary<RawRequest> {
  const pathValue = (name: string) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(encodeURIComponent(world.pathValues[name])) },
      { weight: 2, arbitrary: hostileText.map((t) => encodeURIComponent(t.slice(0, 600))) },
      { weight: 1, arbitrary: rawFragment },
      { weight: 1, arbitrary: fc.constantFrom(String(world.otherBotId), '999999', '-1', '0', '1.5', '1e3', '0x1') },
    );
  const pathArb = fc.record(Object.fromEntries(target.pathParams.map((p) => [p, pathValue(p)]))).map((values) => target.path.replace(/\{(\w+)\}/g, (_m, name: string) => (values as Record<string, string>)[name]));
  const queryKey = fc.oneof(fc.constantFrom(...(target.queryParams ?? []), '__proto__', 'constructor', 'a[b]', 'dry_run', 'limit', 'cursor'), printable(10));
  const queryArb = fc.array(fc.tuple(queryKey, fc.oneof(hostileText.map((t) => encodeURIComponent(t.slice(0, 300))), rawFragment)), { maxLength: 4 });
  const authorization = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${world.token}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${world.otherToken}`) },
    { weight: target.path.startsWith('/chat/') ? 12 : 1, arbitrary: fc.constantFrom(`Bearer ${world.visitorToken}`, `Bearer ${world.otherVisitorToken}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: printable(80) },
  );
  const extraHeaders = fc.record(
    {
      'x-trace-id': printable(80),
      'idempotency-key': printable(250),
      'x-dry-run': fc.constantFrom('true', 'false', '1', 'yes', '', 'maybe'),
      'x-source-system': printable(120),
      'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'),
      'x-telegram-bot-api-secret-token': fc.oneof(fc.constant(world.webhookSecret), printable(60)),
      origin: fc.constantFrom('https://evil.example', 'null', ownOrigin),
    },
    { requiredKeys: [] },
  );
  const method = fc.oneof({ weight: 8, arbitrary: fc.constant(target.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') });
  return fc
    .record({ method, path: pathArb, query: queryArb, authorization, contentType: contentTypes, extra: extraHeaders, body: bodyArbitrary(target.bodySchema) })
    .map(({ method: m, path, query, authorization: auth, contentType, extra, body }) => ({
      method: m,
      path: query.length ? `${path}?${query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&')}` : path,
      headers: { ...extra, ...(auth === undefined ? {} : { authorization: auth }), ...(contentType === undefined ? {} : { 'content-type': contentType }) },
      body: m === 'HEAD' ? undefined : body,
    }));
}

/** What a refused request is: an error status, or the integration contract's `200 success:false`. */
function refused(response: RawResponse): boolean {
  if (response.status >= 400) return true;
  try {
    return (JSON.parse(response.text) as { success?: unknown }).success === false;
  } catch {
    return false;
  }
}

function problemsWith(request: RawRequest, response: RawResponse): string[] {
  const problems: string[] = [];
  if (response.status >= 500) problems.push(`status ${response.status}`);
  if (/\n\s+at |node_modules|\.ts:\d+/.test(response.text)) problems.push('a stack trace in the answer');
  if (response.status >= 400 && request.method !== 'HEAD') {
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      body = response.text;
    }
    if (!errorBodySchema.safeParse(body).success) problems.push(`error not in the documented shape: ${response.text.slice(0, 200)}`);
  }
  return problems;
}

describe(`API fuzzer (${dialect})`, () => {
  // Telegram is the stand-in: a token check (getMe) is answered, not a 502 for an unreachable Telegram.
  const setup = useStandinBackend({ WORKERS_ENABLED: 'false', BODY_LIMIT: `${BODY_LIMIT_BYTES / 1024}kb` });
  let backend: TestBackend;
  let endpoints: Endpoint[];

  beforeAll(async () => {
    backend = setup.backend;
    endpoints = await publishedEndpoints(backend);
  });
  afterAll(() => closeRawAgent());

  it(`answers ${RUNS} hostile requests without a 5xx, in the error shape, and refusals change nothing`, async () => {
    const stats = { requests: 0, refused: 0, accepted: 0, snapshots: 0, statuses: new Map<number, number>() };
    const targets = [...endpoints, ...PUBLIC_ROUTES];
    const started = { wall: performance.now(), cpu: process.cpuUsage() };
    for (let w = 0; w < WORLDS; w++) {
      const world = await seedDrillWorld(backend);
      let marker = await changeMarker(backend.ctx.db);
      let baseline: Snapshot = await snapshotDatabase(backend.ctx.db);
      const arbitrary = fc.constantFrom(...targets).chain((target) => requestArbitrary(target, world, backend.url));
      await fc.assert(
        fc.asyncProperty(arbitrary, async (request) => {
          const response = await rawRequest(backend.url, request);
          stats.requests++;
          stats.statuses.set(response.status, (stats.statuses.get(response.status) ?? 0) + 1);
          expect(problemsWith(request, response)).toEqual([]);
          const isRefused = refused(response);
          stats[isRefused ? 'refused' : 'accepted']++;
          const moved = await changeMarker(backend.ctx.db);
          if (moved === marker) return;
          const after = await snapshotDatabase(backend.ctx.db);
          stats.snapshots++;
          if (isRefused) expect(snapshotDifferences(baseline, after)).toEqual([]);
          [marker, baseline] = [moved, after];
        }),
        // Each world draws its own requests; the global seed (test/support/fixed-seed.ts) fixes them all.
        { numRuns: RUNS / WORLDS, endOnFailure: true, ...(fc.readConfigureGlobal().seed === undefined ? {} : { seed: fc.readConfigureGlobal().seed! + w }) },
      );
    }
    expect((await rawRequest(backend.url, { method: 'GET', path: '/healthz', headers: {} })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(stats.requests).toBe(RUNS);
    // The run reached past authentication and validation, not only 401s.
    expect(stats.accepted).toBeGreaterThan(RUNS / 50);
    // Each kind of refusal showed up (a short FUZZ_RUNS run may well miss the rarer ones).
    if (RUNS >= 5000) expect([401, 403, 404, 413, 415, 422].filter((s) => !stats.statuses.get(s))).toEqual([]);
    const cpu = process.cpuUsage(started.cpu);
    const seconds = { wallSeconds: Math.round(performance.now() - started.wall) / 1000, cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000 };
    process.stdout.write(`fuzz (${dialect}): ${JSON.stringify({ ...stats, ...seconds, statuses: Object.fromEntries(stats.statuses) })}\n`);
  }, 600_000);
});
