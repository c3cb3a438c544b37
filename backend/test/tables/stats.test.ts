import fc from 'fast-check';
import { bucketOf } from '../../src/tables/value-counts';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

// Wednesday 18 November 2026, 12:00 UTC.
const NOW = Date.UTC(2026, 10, 18, 12, 0, 0);
const DAY = 86_400_000;
const USERS = ['anna', 'boris', 'clara', 'dmitry', 'eva'];

interface Workout {
  id?: number;
  user: string;
  minutes: number | null;
  at: number | null;
}

const workoutArb = fc.record({
  user: fc.constantFrom(...USERS),
  minutes: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null, freq: 8 }),
  at: fc.option(fc.integer({ min: NOW - 12 * DAY, max: NOW + 5 * DAY }), { nil: null, freq: 10 }),
});

describe(`data tables: stats against a brute-force computation (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let tableNumber = 0;
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}/tables${path}`, { token, body });

  /**
   * PostgreSQL: the bucket counts the triggers kept for a column equal the rows' buckets recounted
   * (bucketOf, the read's own arithmetic), and no bucket row is left past the subject's.
   */
  async function expectKeptBuckets(step: string, table: string, column: string, type: 'number' | 'datetime'): Promise<void> {
    if (dialect !== 'postgresql') return;
    const db = backend.ctx.db;
    const { id } = await db('data_tables').where({ bot_id: botId, name: table }).first('id');
    const physical = 'c_' + (await db('data_table_columns').where({ table_id: id, name: column }).first('id')).id;
    const values = (await db(`dt_${botId}_${id}`).whereNotNull(physical).pluck(physical)).map(Number);
    const expected = new Map<string, number>();
    for (const value of values) expected.set(bucketOf(type, value).bucket, (expected.get(bucketOf(type, value).bucket) ?? 0) + 1);
    const kept = (await db.raw('select b as bucket, sum(n) as n from data_table_value_buckets d, unnest(d.buckets, d.counts) as u(b, n) where table_id = ? and column_name = ? group by b having sum(n) <> 0', [id, physical])).rows as Array<{ bucket: string; n: string }>;
    expect({ step, buckets: Object.fromEntries(kept.map((k) => [String(k.bucket), Number(k.n)])) }).toEqual({ step, buckets: Object.fromEntries(expected) });
  }

  beforeAll(async () => {
    backend = await startTestBackend({ clock: new ManualClock(NOW) });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  async function load(workouts: Workout[]): Promise<{ name: string; rows: Array<Required<Workout>> }> {
    const name = `w${++tableNumber}`;
    const created = await api('POST', '', { name, columns: [{ name: 'user', type: 'string' }, { name: 'minutes', type: 'number' }, { name: 'at', type: 'datetime' }], indexes: [['at', 'minutes']] });
    expect(created.status).toBe(201);
    if (workouts.length === 0) return { name, rows: [] };
    const inserted = await api('POST', `/${name}/rows`, { rows: workouts });
    expect(inserted.status).toBe(201);
    return { name, rows: workouts.map((w, i) => ({ ...w, id: inserted.body.ids[i] })) };
  }

  const inWindow = (from: number, to: number) => (w: Required<Workout>) => w.at !== null && w.at >= from && w.at < to;
  const between = (from: number, to: number) => ({ type: 'between', column: 'at', from: new Date(from).toISOString(), to: new Date(to).toISOString() });

  function competitionRanks(values: unknown[]): number[] {
    return values.map((v, i) => values.indexOf(v) + 1 + 0 * i);
  }

  it('TOP-N rows: value order, ties by id, competition ranks, empty values never rank', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workoutArb, { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('asc', 'desc'), fc.integer({ min: 0, max: 10 }), async (workouts, n, direction, startDay) => {
        const { name, rows } = await load(workouts);
        const from = NOW - 12 * DAY + startDay * DAY;
        const to = from + 7 * DAY;
        const res = await api('POST', `/${name}/stats/top`, { column: 'minutes', n, direction, window: between(from, to) });
        expect(res.status).toBe(200);
        const expected = rows
          .filter(inWindow(from, to))
          .filter((w) => w.minutes !== null)
          .sort((a, b) => (direction === 'desc' ? b.minutes! - a.minutes! : a.minutes! - b.minutes!) || a.id - b.id)
          .slice(0, n);
        expect(res.body.rows.map((r: { id: number }) => r.id)).toEqual(expected.map((w) => w.id));
        expect(res.body.rows.map((r: { rank: number }) => r.rank)).toEqual(competitionRanks(expected.map((w) => w.minutes)));
      }),
      { numRuns: 15 },
    );
  });

  it('TOP-N per group and TOP-N groups by a total', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workoutArb, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('sum', 'count', 'max'), async (workouts, n, fn) => {
        const { name, rows } = await load(workouts);
        const valued = rows.filter((w) => w.minutes !== null);
        const perGroup = await api('POST', `/${name}/stats/top`, { column: 'minutes', n, groupBy: ['user'] });
        const expectedPerGroup = USERS.flatMap((user) =>
          valued.filter((w) => w.user === user).sort((a, b) => b.minutes! - a.minutes! || a.id - b.id).slice(0, n),
        );
        expect(perGroup.body.rows.map((r: { id: number }) => r.id)).toEqual(expectedPerGroup.map((w) => w.id));

        const groups = await api('POST', `/${name}/stats/top`, { column: 'minutes', n, groupBy: ['user'], fn });
        const totals = USERS.map((user) => {
          const mine = valued.filter((w) => w.user === user).map((w) => w.minutes!);
          const value = mine.length === 0 ? null : fn === 'sum' ? mine.reduce((a, b) => a + b, 0) : fn === 'count' ? mine.length : Math.max(...mine);
          return { user, value };
        })
          .filter((t) => t.value !== null && !(fn === 'count' && t.value === 0))
          .sort((a, b) => b.value! - a.value! || (a.user < b.user ? -1 : 1))
          .slice(0, n);
        expect(groups.body.rows.map((r: { user: string; value: number }) => [r.user, r.value])).toEqual(totals.map((t) => [t.user, t.value]));
        expect(groups.body.rows.map((r: { rank: number }) => r.rank)).toEqual(competitionRanks(totals.map((t) => t.value)));
      }),
      { numRuns: 12 },
    );
  });

  it('aggregates grouped over a window', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workoutArb, { maxLength: 60 }), fc.integer({ min: 0, max: 10 }), async (workouts, startDay) => {
        const { name, rows } = await load(workouts);
        const from = NOW - 12 * DAY + startDay * DAY;
        const to = from + 5 * DAY;
        const res = await api('POST', `/${name}/stats/aggregate`, {
          aggregates: [{ fn: 'count' }, { fn: 'count', column: 'minutes' }, { fn: 'sum', column: 'minutes', as: 'total' }, { fn: 'avg', column: 'minutes' }, { fn: 'min', column: 'minutes' }, { fn: 'max', column: 'at' }],
          groupBy: ['user'],
          window: between(from, to),
          sort: [{ by: 'total', direction: 'desc' }],
        });
        expect(res.status).toBe(200);
        const windowed = rows.filter(inWindow(from, to));
        const expected = USERS.map((user) => {
          const mine = windowed.filter((w) => w.user === user);
          const minutes = mine.map((w) => w.minutes).filter((m): m is number => m !== null);
          return {
            user,
            count: mine.length,
            count_minutes: minutes.length,
            total: minutes.length ? minutes.reduce((a, b) => a + b, 0) : null,
            avg_minutes: minutes.length ? minutes.reduce((a, b) => a + b, 0) / minutes.length : null,
            min_minutes: minutes.length ? Math.min(...minutes) : null,
            max_at: mine.length ? new Date(Math.max(...mine.map((w) => w.at!))).toISOString() : null,
          };
        }).filter((g) => g.count > 0);
        const sorted = [...expected].sort((a, b) => (a.total === null ? 1 : 0) - (b.total === null ? 1 : 0) || (b.total ?? 0) - (a.total ?? 0) || (a.user < b.user ? -1 : 1));
        expect(res.body.rows).toHaveLength(sorted.length);
        res.body.rows.forEach((row: Record<string, unknown>, i: number) => {
          const want = sorted[i];
          expect(row).toMatchObject({ ...want, avg_minutes: want.avg_minutes === null ? null : expect.any(Number) });
          if (want.avg_minutes !== null) expect(row.avg_minutes).toBeCloseTo(want.avg_minutes, 9);
        });
      }),
      { numRuns: 12 },
    );
  });

  it('percentile rank of a value, of a row and of a group total: below / total * 100, ties not below', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workoutArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: -1, max: 31 }), fc.nat(), async (workouts, value, pick) => {
        const { name, rows } = await load(workouts);
        const values = rows.map((w) => w.minutes).filter((m): m is number => m !== null);
        const byValue = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', value });
        const below = values.filter((m) => m < value).length;
        expect(byValue.body).toMatchObject({ success: true, below, total: values.length, percentile: values.length ? (below / values.length) * 100 : 0 });

        const row = rows[pick % rows.length];
        const byRow = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', rowId: row.id });
        if (row.minutes === null) expect(byRow.status).toBe(422);
        else expect(byRow.body).toMatchObject({ below: values.filter((m) => m < row.minutes!).length, total: values.length, value: row.minutes });

        const totals = new Map<string, number>();
        for (const w of rows) if (w.minutes !== null) totals.set(w.user, (totals.get(w.user) ?? 0) + w.minutes);
        const user = USERS[pick % USERS.length];
        const byGroup = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', groupBy: ['user'], group: { user } });
        if (!totals.has(user)) return void expect(byGroup.status).toBe(404);
        const mine = totals.get(user)!;
        const groupBelow = [...totals.values()].filter((t) => t < mine).length;
        expect(byGroup.body).toMatchObject({ below: groupBelow, total: totals.size, value: mine, percentile: (groupBelow / totals.size) * 100 });
        const ofRowGroup = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', groupBy: ['user'], rowId: row.id });
        if (totals.has(row.user)) expect(ofRowGroup.body.value).toBe(totals.get(row.user));
      }),
      { numRuns: 15 },
    );
  });

  it('percentile of a value over the whole table and over a scope, per column type, equals a brute-force count', async () => {
    // The whole-table count takes a different statement than a filtered or windowed one: both are
    // checked on fractional and negative numbers, datetimes and strings, with empty cells.
    const cellArb = fc.record({
      score: fc.option(fc.double({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true }), { nil: null, freq: 5 }),
      at: fc.option(fc.integer({ min: NOW - 10 * DAY, max: NOW + 10 * DAY }), { nil: null, freq: 5 }),
      word: fc.option(fc.stringMatching(/^[a-z]{0,4}$/), { nil: null, freq: 5 }),
    });
    const subjectArb = fc.record({
      score: fc.oneof(fc.double({ min: -60, max: 60, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -60, max: 60 })),
      at: fc.integer({ min: NOW - 12 * DAY, max: NOW + 12 * DAY }),
      word: fc.stringMatching(/^[a-z]{0,4}$/),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cellArb, { maxLength: 50 }), subjectArb, fc.boolean(), async (cells, subject, reuseCell) => {
        const name = `p${++n}`;
        const created = await api('POST', '', { name, columns: [{ name: 'score', type: 'number' }, { name: 'at', type: 'datetime' }, { name: 'word', type: 'string' }], indexes: [['score'], ['at']] });
        expect(created.status).toBe(201);
        const rows = cells.map((c) => ({ ...c, at: c.at === null ? null : new Date(c.at).toISOString() }));
        if (rows.length > 0) expect((await api('POST', `/${name}/rows`, { rows })).status).toBe(201);
        // Ties matter: half the time the subject is a value the table holds.
        const held = reuseCell && cells.length > 0 ? cells[Math.abs(subject.at) % cells.length] : undefined;
        const subjects = { score: held?.score ?? subject.score, at: held?.at ?? subject.at, word: held?.word ?? subject.word };
        const window = { from: NOW - 5 * DAY, to: NOW + 5 * DAY };
        const inWindow = cells.filter((c) => c.at !== null && c.at >= window.from && c.at < window.to);
        for (const column of ['score', 'at', 'word'] as const) {
          const expectFor = async (scope: Record<string, unknown>, scoped: typeof cells) => {
            const values = scoped.map((c) => c[column]).filter((v): v is number | string => v !== null);
            const below = values.filter((v) => v < subjects[column]).length;
            const value = column === 'at' ? new Date(subjects.at).toISOString() : subjects[column];
            const res = await api('POST', `/${name}/stats/percentile`, { column, value, ...scope });
            expect(res.status).toBe(200);
            expect({ column, below: res.body.below, total: res.body.total, percentile: res.body.percentile }).toEqual({ column, below, total: values.length, percentile: values.length ? (below / values.length) * 100 : 0 });
          };
          await expectFor({}, cells);
          await expectFor({ window: between(window.from, window.to) }, inWindow);
          await expectFor({ filter: { conditions: [{ column: 'score', op: 'isNotEmpty' }] } }, cells.filter((c) => c.score !== null));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('percentile over the whole table: a subject in the upper half counts the values at or above it, exactly', async () => {
    // On SQLite such a subject takes total − (values ≥ subject); each edge of that branch is checked:
    // ties at the top, the largest value, above it, negatives, fractions, empty cells, an unindexed column.
    const scores = [-3, -1.5, 0, 0, 2, 7, 7, 7, null, null, 6.5, 7];
    const name = 'upper';
    expect((await api('POST', '', { name, columns: [{ name: 'score', type: 'number' }, { name: 'plain', type: 'number' }, { name: 'at', type: 'datetime' }], indexes: [['score'], ['at']] })).status).toBe(201);
    const rows = scores.map((score) => ({ score, plain: score, at: score === null ? null : new Date(NOW + score * DAY).toISOString() }));
    expect((await api('POST', `/${name}/rows`, { rows })).status).toBe(201);
    const values = scores.filter((v): v is number => v !== null);
    for (const subject of [-10, -3, -1.5, 0, 1, 5, 6.5, 6.9999, 7, 7.0001, 100]) {
      const below = values.filter((v) => v < subject).length;
      for (const [column, value] of [['score', subject], ['plain', subject], ['at', new Date(NOW + subject * DAY).toISOString()]] as const) {
        const res = await api('POST', `/${name}/stats/percentile`, { column, value });
        expect({ column, subject, below: res.body.below, total: res.body.total }).toEqual({ column, subject, below, total: values.length });
      }
    }
    // The guess compares the subject with the middle of the range: values at the ends of a double's range must not overflow.
    expect((await api('POST', '', { name: 'extremes', columns: [{ name: 'score', type: 'number' }], indexes: [['score']] })).status).toBe(201);
    expect((await api('POST', '/extremes/rows', { rows: [{ score: -1.7e308 }, { score: 0 }, { score: 1.7e308 }] })).status).toBe(201);
    for (const [value, below] of [[1.7e308, 2], [-1.7e308, 0], [1e308, 2]]) {
      const res = await api('POST', '/extremes/stats/percentile', { column: 'score', value });
      expect({ value, status: res.status, below: res.body.below }).toEqual({ value, status: 200, below });
    }
  });

  it('percentile over the whole table per value bucket: subjects at, beside and between bucket edges, exactly', async () => {
    // On PostgreSQL an indexed number or datetime column sums kept counts per fixed value range and
    // counts index entries inside the subject's range only: every position against a bucket's edges is
    // checked (its smallest value, the double just below it, the next bucket's edge), on numbers of
    // each sign and size and datetimes before and after 1970, with empty cells and an unindexed twin.
    const next = (v: number, up: boolean) => {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, v);
      const bits = view.getBigInt64(0);
      if (v === 0) return up ? 5e-324 : -5e-324;
      view.setBigInt64(0, bits + ((v > 0) === up ? 1n : -1n));
      return view.getFloat64(0);
    };
    const edges = [0, 1, 1.015625, 2, 60, 60.5, 64, 0.5, -1, -1.015625, -2, -60, 5e-324, -5e-324, 1e-300, 1e300, -1e300, 1.7e308, -1.7e308];
    const numbers = [...edges, ...edges.map((v) => next(v, false)), ...edges.map((v) => next(v, true)), 60, 60, 61, 3.3, -3.3, 1000.25];
    const T = 2 ** 26;
    const times = [0, T, -T, 5 * T, NOW, Math.floor(NOW / T) * T].flatMap((t) => [t, t - 1, t + 1]);
    const name = 'buckets';
    expect((await api('POST', '', { name, columns: [{ name: 'score', type: 'number' }, { name: 'plain', type: 'number' }, { name: 'at', type: 'datetime' }], indexes: [['score'], ['at']] })).status).toBe(201);
    const rows = numbers.map((score, i) => ({ score, plain: score, at: i < times.length ? new Date(times[i]).toISOString() : null }));
    expect((await api('POST', `/${name}/rows`, { rows: [...rows, { score: null, plain: null, at: null }] })).status).toBe(201);
    await expectKeptBuckets('insert', name, 'score', 'number');
    await expectKeptBuckets('insert', name, 'at', 'datetime');
    const subjects = { score: [...numbers, 7, -7, 0.75, 62.3, 1e308], at: [...times, NOW + T / 2, -3 * T] };
    for (const column of ['score', 'plain', 'at'] as const) {
      const values = column === 'at' ? times : numbers;
      for (const subject of column === 'at' ? subjects.at : subjects.score) {
        const below = values.filter((v) => v < subject).length;
        const value = column === 'at' ? new Date(subject).toISOString() : subject;
        const res = await api('POST', `/${name}/stats/percentile`, { column, value });
        expect({ column, subject, status: res.status, below: res.body.below, total: res.body.total }).toEqual({ column, subject, status: 200, below, total: values.length });
      }
    }
  });

  it('the row id takes whole numbers only: a fractional or huge id is refused as input, not a server error', async () => {
    expect((await api('POST', '', { name: 'ids', columns: [{ name: 'score', type: 'number' }] })).status).toBe(201);
    const ids = (await api('POST', '/ids/rows', { rows: [{ score: 1 }, { score: 2 }, { score: 3 }] })).body.ids as number[];
    const byId = await api('POST', '/ids/stats/percentile', { column: 'id', value: ids[1] });
    expect(byId.body).toMatchObject({ success: true, below: 1, total: 3 });
    for (const value of [ids[1] + 0.5, 1e300]) {
      const ranked = await api('POST', '/ids/stats/percentile', { column: 'id', value });
      expect({ value, status: ranked.status, path: ranked.body.errors?.[0]?.path }).toEqual({ value, status: 422, path: 'value' });
      const filtered = await api('POST', '/ids/rows/query', { filter: { conditions: [{ column: 'id', op: 'lt', value }] } });
      expect({ value, status: filtered.status, path: filtered.body.errors?.[0]?.path }).toEqual({ value, status: 422, path: 'filter.conditions.0.value' });
    }
    // A group total of ids may be fractional (an average).
    const averaged = await api('POST', '/ids/stats/percentile', { column: 'id', groupBy: ['score'], fn: 'avg', value: ids[1] + 0.5 });
    expect(averaged.status).toBe(200);
  });

  it('percentile over the whole table stays exact through every kind of write, concurrent ones included', async () => {
    // On PostgreSQL `total` is a count kept by triggers beside the table: each write path below must
    // keep it equal to a count of the rows as they are.
    const name = 'kept';
    expect((await api('POST', '', { name, columns: [{ name: 'key', type: 'string', unique: true }, { name: 'score', type: 'number' }], indexes: [['score']] })).status).toBe(201);
    const check = async (step: string, column = 'score', indexed = true) => {
      const listed = await api('POST', `/${name}/rows/query`, { limit: 1000 });
      const values = (listed.body.rows as Array<Record<string, number | null>>).map((r) => r[column]).filter((v): v is number => v !== null);
      if (indexed) await expectKeptBuckets(step, name, column, 'number');
      for (const value of [-1, 0, 1, 2, 3, 3.5, 4, 5, 6, 7, 7.5, 8, 9, 10, 11, 100]) {
        const res = await api('POST', `/${name}/stats/percentile`, { column, value });
        expect({ step, value, below: res.body.below, total: res.body.total }).toEqual({ step, value, below: values.filter((v) => v < value).length, total: values.length });
      }
    };
    const rows = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, score: i % 4 === 0 ? null : i % 11 }));
    expect((await api('POST', `/${name}/rows`, { rows })).status).toBe(201);
    await check('insert');
    expect((await api('PATCH', `/${name}/rows`, { filter: { conditions: [{ column: 'score', op: 'gt', value: 8 }] }, set: { score: null } })).status).toBe(200);
    expect((await api('PATCH', `/${name}/rows`, { filter: { conditions: [{ column: 'key', op: 'in', value: ['k0', 'k4', 'k5'] }] }, set: { score: 7 } })).status).toBe(200);
    await check('update by filter');
    expect((await api('POST', `/${name}/rows/upsert`, { keys: ['key'], rows: [{ key: 'k1', score: null }, { key: 'k8', score: 2 }, { key: 'new1', score: 4 }, { key: 'new2' }] })).status).toBe(200);
    await check('upsert');
    expect((await api('POST', `/${name}/rows/delete`, { filter: { conditions: [{ column: 'score', op: 'lt', value: 3 }] } })).status).toBe(200);
    await check('delete by filter');
    expect((await api('POST', `/${name}/import?format=json`, [{ key: 'i1', score: 1 }, { key: 'i2' }])).status).toBe(200);
    await check('import (append)');
    expect((await api('POST', `/${name}/import?format=json&mode=replace`, [{ key: 'r1', score: 5 }, { key: 'r2', score: 9 }, { key: 'r3' }])).status).toBe(200);
    await check('import (replace)');
    expect((await api('POST', `/${name}/columns`, { name: 'late', type: 'number' })).status).toBe(201);
    expect((await api('PATCH', `/${name}/rows`, { filter: { conditions: [{ column: 'key', op: 'in', value: ['r1', 'r3'] }] }, set: { late: 6 } })).status).toBe(200);
    await check('a column added later', 'late', false);
    // An index added later: the column's rows already there are counted per bucket from then on.
    expect((await api('POST', `/${name}/indexes`, { columns: ['late'] })).status).toBe(201);
    await check('an index added later', 'late');
    expect((await api('PATCH', `/${name}/rows`, { filter: { conditions: [{ column: 'key', op: 'eq', value: 'r2' }] }, set: { late: 1.5 } })).status).toBe(200);
    await check('written after the index', 'late');
    // Concurrent writers, more of them than the count folds at, interleaved with reads.
    const writes = Array.from({ length: 80 }, (_, i) =>
      i % 5 === 4
        ? api('POST', `/${name}/rows/delete`, { filter: { conditions: [{ column: 'key', op: 'eq', value: `c${i - 1}` }] } })
        : api('POST', `/${name}/rows`, { rows: [{ key: `c${i}`, score: i % 3 === 0 ? null : i % 10 }] }),
    );
    const reads = Array.from({ length: 10 }, () => api('POST', `/${name}/stats/percentile`, { column: 'score', value: 5 }));
    for (const res of await Promise.all([...writes, ...reads])) expect(res.status).toBeLessThan(300);
    await check('concurrent writes');
    for (let i = 0; i < 70; i++) await api('POST', `/${name}/rows`, { rows: [{ key: `s${i}`, score: i % 4 }] });
    expect((await api('POST', `/${name}/stats/percentile`, { column: 'score', value: 5 })).status).toBe(200);
    if (dialect === 'postgresql') {
      // Every write statement added a delta row; the read past 64 of them folded them into one.
      const table = await backend.ctx.db('data_tables').where({ bot_id: botId, name }).first('id');
      const deltas = await backend.ctx.db('data_table_value_counts').where({ table_id: table.id, column_name: 'c_' + (await backend.ctx.db('data_table_columns').where({ table_id: table.id, name: 'score' }).first('id')).id }).count({ n: '*' }).first();
      expect(Number(deltas!.n)).toBe(1);
      // The bucket counts folded too: one row, each bucket in it once.
      const physical = 'c_' + (await backend.ctx.db('data_table_columns').where({ table_id: table.id, name: 'score' }).first('id')).id;
      const folded = await backend.ctx.db('data_table_value_buckets').where({ table_id: table.id, column_name: physical }).select('buckets');
      expect(folded).toHaveLength(1);
      expect(folded[0].buckets.length).toBe(new Set(folded[0].buckets).size);
      expect(folded[0].buckets.length).toBeGreaterThan(1);
    }
    await check('after folding the count');
  });

  it('"more active than 80% of users this week" in the bot\'s or the request\'s time zone', async () => {
    // Monday 16 Nov 2026 00:00 in Moscow is Sunday 15 Nov 21:00 UTC; in New York, Monday 05:00 UTC.
    const { name } = await load([
      { user: 'anna', minutes: 50, at: Date.UTC(2026, 10, 15, 22) },
      { user: 'boris', minutes: 10, at: Date.UTC(2026, 10, 16, 10) },
      { user: 'clara', minutes: 20, at: Date.UTC(2026, 10, 17, 10) },
      { user: 'dmitry', minutes: 30, at: Date.UTC(2026, 10, 18, 10) },
      { user: 'eva', minutes: 40, at: Date.UTC(2026, 10, 18, 11) },
      { user: 'eva', minutes: 25, at: Date.UTC(2026, 10, 18, 11, 30) },
    ]);
    const moscow = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', groupBy: ['user'], group: { user: 'eva' }, window: { type: 'this_week', column: 'at', timezone: 'Europe/Moscow' } });
    expect(moscow.body).toMatchObject({ percentile: 80, below: 4, total: 5, value: 65 });
    const byCount = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', groupBy: ['user'], fn: 'count', value: 1.5 });
    expect(byCount.body).toMatchObject({ percentile: 80, below: 4, total: 5 });
    const newYork = await api('POST', `/${name}/stats/percentile`, { column: 'minutes', groupBy: ['user'], group: { user: 'eva' }, window: { type: 'this_week', column: 'at', timezone: 'America/New_York' } });
    expect(newYork.body).toMatchObject({ percentile: 75, below: 3, total: 4 });
    const utcTop = await api('POST', `/${name}/stats/top`, { column: 'minutes', n: 5, groupBy: ['user'], fn: 'sum', window: { type: 'this_week', column: 'at' } });
    expect(utcTop.body.rows.map((r: { user: string }) => r.user)).toEqual(['eva', 'dmitry', 'clara', 'boris']);
    const today = await api('POST', `/${name}/stats/aggregate`, { aggregates: [{ fn: 'sum', column: 'minutes' }], window: { type: 'today', column: 'at' } });
    expect(today.body.rows).toEqual([{ sum_minutes: 95 }]);
    // The last 3 days in Moscow start on Monday 16 Nov 00:00 MSK = Sunday 21:00 UTC; in UTC on Monday 00:00.
    const lastDays = await api('POST', `/${name}/stats/aggregate`, { aggregates: [{ fn: 'count' }], window: { type: 'last_days', days: 3, column: 'at', timezone: 'Europe/Moscow' } });
    expect(lastDays.body.rows).toEqual([{ count: 6 }]);
    const lastDaysUtc = await api('POST', `/${name}/stats/aggregate`, { aggregates: [{ fn: 'count' }], window: { type: 'last_days', days: 3, column: 'at' } });
    expect(lastDaysUtc.body.rows).toEqual([{ count: 5 }]);
  });

  it('refuses bad stats requests with 422 listing the problems', async () => {
    const { name } = await load([{ user: 'anna', minutes: 1, at: NOW }]);
    const bad = await api('POST', `/${name}/stats/aggregate`, { aggregates: [{ fn: 'sum', column: 'user' }, { fn: 'avg' }, { fn: 'max', column: 'nope' }], sort: [{ by: 'zzz' }], window: { type: 'today', column: 'user' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['aggregates.0.column', 'aggregates.1.column', 'aggregates.2.column', 'sort.0.by']);
    expect((await api('POST', `/${name}/stats/aggregate`, { aggregates: [{ fn: 'count' }], window: { type: 'today', column: 'user' } })).status).toBe(422);
    expect((await api('POST', `/${name}/stats/aggregate`, { aggregates: [{ fn: 'count' }], window: { type: 'today', column: 'at', timezone: 'Mars/Olympus' } })).status).toBe(422);
    expect((await api('POST', `/${name}/stats/percentile`, { column: 'minutes' })).status).toBe(422);
    expect((await api('POST', `/${name}/stats/percentile`, { column: 'minutes', value: 'many' })).status).toBe(422);
    expect((await api('POST', `/${name}/stats/percentile`, { column: 'minutes', value: 1, fn: 'sum' })).status).toBe(422);
    expect((await api('POST', `/${name}/stats/top`, { column: 'minutes', fn: 'sum' })).status).toBe(422);
    expect((await api('POST', `/${name}/stats/top`, { column: "minutes'; drop table bots; --", n: 3 })).status).toBe(422);
  });
});
