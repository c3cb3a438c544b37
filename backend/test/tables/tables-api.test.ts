import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`data tables: catalogue and rows (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const api = (method: string, path: string, body?: unknown, opts: { token?: string } = {}) =>
    backend.request(method, `/api/v1/bots/${botId}/tables${path}`, { token: opts.token ?? token, body });

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  const menuColumns = [
    { name: 'dish', type: 'string', nullable: false, unique: true },
    { name: 'price', type: 'number' },
    { name: 'vegan', type: 'boolean' },
    { name: 'servedFrom', type: 'datetime' },
    { name: 'extras', type: 'json' },
  ];

  it('creates, lists, describes, renames and deletes a table', async () => {
    const created = await api('POST', '', { name: 'menu_tmp', columns: menuColumns, indexes: [['price'], { columns: ['vegan', 'price'] }] });
    expect(created.status).toBe(201);
    expect(created.body.table.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'createdAt', 'updatedAt', 'dish', 'price', 'vegan', 'servedFrom', 'extras']);
    expect(created.body.table.indexes).toEqual([
      { columns: ['dish'], unique: true },
      { columns: ['price'], unique: false },
      { columns: ['vegan', 'price'], unique: false },
    ]);
    expect((await api('POST', '', { name: 'menu_tmp', columns: menuColumns })).status).toBe(409);

    const list = await api('GET', '');
    expect(list.body.tables.map((t: { name: string }) => t.name)).toContain('menu_tmp');
    const described = await api('GET', '/menu_tmp');
    expect(described.body.table).toMatchObject({ name: 'menu_tmp', rowCount: 0 });

    const renamed = await api('PATCH', '/menu_tmp', { newName: 'меню' });
    expect(renamed.status).toBe(200);
    expect((await api('GET', '/menu_tmp')).status).toBe(404);
    expect((await api('GET', `/${encodeURIComponent('меню')}`)).body.table.name).toBe('меню');

    expect((await api('DELETE', `/${encodeURIComponent('меню')}`)).status).toBe(200);
    expect((await api('GET', `/${encodeURIComponent('меню')}`)).status).toBe(404);
  });

  it('refuses bad and hostile names with 422 listing every problem, never a 500', async () => {
    const res = await api('POST', '', {
      name: 'x"; drop table bots; --',
      columns: [{ name: 'id', type: 'string' }, { name: "a'b", type: 'number' }, { name: 'ok', type: 'money' }, { name: 'x'.repeat(64), type: 'string' }],
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['columns.0.name', 'columns.1.name', 'columns.2.type', 'columns.3.name', 'name']);
    const dup = await api('POST', '', { name: 'dups', columns: [{ name: 'a', type: 'string' }, { name: 'A', type: 'number' }], indexes: [['nope'], ['a', 'a']] });
    expect(dup.status).toBe(422);
    expect(dup.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['columns.1.name', 'indexes.0.0', 'indexes.1']);
    expect((await api('GET', `/${encodeURIComponent('"; drop table bots; --')}`)).status).toBe(404);
    expect((await backend.ctx.db('bots').count({ n: '*' }).first())!.n).toBeDefined();
  });

  it('documents every tables route in the OpenAPI document', async () => {
    const doc = await backend.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths).filter((p) => p.includes('/tables'));
    expect(paths.sort()).toEqual(
      [
        '', '/{name}', '/{name}/columns', '/{name}/indexes', '/{name}/rows', '/{name}/rows/upsert', '/{name}/rows/query', '/{name}/rows/delete',
        '/{name}/rows/{rowId}', '/{name}/stats/top', '/{name}/stats/aggregate', '/{name}/stats/percentile', '/{name}/import', '/{name}/export',
      ].map((p) => `/api/v1/bots/{botId}/tables${p}`).sort(),
    );
    expect(Object.keys(doc.body.paths['/api/v1/bots/{botId}/tables/{name}'])).toEqual(['get', 'patch', 'delete']);
  });

  it('handles column names that are also JavaScript property names', async () => {
    expect((await api('POST', '', { name: 'proto', columns: [{ name: '__proto__', type: 'string' }] })).status).toBe(422);
    const created = await api('POST', '', { name: 'js_names', columns: [{ name: 'constructor', type: 'string' }, { name: 'toString', type: 'number' }, { name: 'hasOwnProperty', type: 'boolean' }] });
    expect(created.status).toBe(201);
    expect((await api('POST', '/js_names/rows', { rows: [{}, { constructor: 'c', toString: 1, hasOwnProperty: true }] })).status).toBe(201);
    const rows = (await api('POST', '/js_names/rows/query', {})).body.rows;
    expect(rows.map((r: Record<string, unknown>) => [r.constructor, r.toString, r.hasOwnProperty])).toEqual([[null, null, null], ['c', 1, true]]);
    expect((await api('PATCH', '/js_names/rows', { all: true, set: { toString: 2 } })).body.updated).toBe(2);
    const top = await api('POST', '/js_names/stats/percentile', { column: 'toString', groupBy: ['constructor'], group: {} });
    expect(top.body).toMatchObject({ value: 2, below: 0, total: 2 });
  });

  it('needs the tables scope and the right bot', async () => {
    const other = await backend.createBot({ scopes: ['maps'] });
    expect((await backend.request('GET', `/api/v1/bots/${other.botId}/tables`, { token: other.token })).status).toBe(403);
    expect((await backend.request('GET', `/api/v1/bots/${botId}/tables`, { token: other.token })).status).toBe(403);
    expect((await backend.request('GET', `/api/v1/bots/${botId}/tables`)).status).toBe(401);
  });

  it('keeps each bot\'s tables apart', async () => {
    const other = await backend.createBot();
    await backend.request('POST', `/api/v1/bots/${other.botId}/tables`, { token: other.token, body: { name: 'private', columns: [{ name: 'a', type: 'string' }] } });
    expect((await api('GET', '/private')).status).toBe(404);
  });

  describe('rows', () => {
    beforeAll(async () => {
      expect((await api('POST', '', { name: 'menu', columns: menuColumns, indexes: [['price']] })).status).toBe(201);
    });

    it('inserts typed rows and reads them back in API form', async () => {
      const res = await api('POST', '/menu/rows', {
        rows: [
          { dish: 'Latte', price: 3.5, vegan: false, servedFrom: '2026-11-21T08:00:00+03:00', extras: { sizes: ['S', 'M'] } },
          { dish: 'Oat latte', price: '4', vegan: 'true', servedFrom: Date.UTC(2026, 10, 21, 6) },
        ],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ success: true, inserted: 2, ids: [expect.any(Number), expect.any(Number)] });
      const row = await api('GET', `/menu/rows/${res.body.ids[0]}`);
      expect(row.body.row).toEqual({
        id: res.body.ids[0],
        createdAt: expect.stringMatching(/Z$/),
        updatedAt: expect.stringMatching(/Z$/),
        dish: 'Latte',
        price: 3.5,
        vegan: false,
        servedFrom: '2026-11-21T05:00:00.000Z',
        extras: { sizes: ['S', 'M'] },
      });
      const second = await api('GET', `/menu/rows/${res.body.ids[1]}`);
      expect(second.body.row).toMatchObject({ price: 4, vegan: true, servedFrom: '2026-11-21T06:00:00.000Z', extras: null });
    });

    it('refuses invalid rows with every row/column error and inserts nothing', async () => {
      const before = (await api('GET', '/menu')).body.table.rowCount;
      const res = await api('POST', '/menu/rows', {
        rows: [{ dish: 'Ok', price: 1 }, { price: 'cheap', vegan: 'maybe', servedFrom: 'yesterday', colour: 'red' }, { dish: 'x'.repeat(70_000), id: 5 }],
      });
      expect(res.status).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
        ['rows.1.colour', 'rows.1.dish', 'rows.1.price', 'rows.1.servedFrom', 'rows.1.vegan', 'rows.2.dish', 'rows.2.id'].sort(),
      );
      expect((await api('GET', '/menu')).body.table.rowCount).toBe(before);
    });

    it('answers a repeated unique value with 409 and rolls the batch back', async () => {
      const before = (await api('GET', '/menu')).body.table.rowCount;
      const res = await api('POST', '/menu/rows', { rows: [{ dish: 'Mocha' }, { dish: 'Latte' }] });
      expect(res.status).toBe(409);
      expect((await api('GET', '/menu')).body.table.rowCount).toBe(before);
    });

    it('stores hostile strings verbatim and finds them by every operator', async () => {
      const hostile = [`'; drop table bots; --`, `"; drop table "dt_1_1"; --`, 'Robert\'); DROP TABLE Students;--', '💥 ünïcödé \u0000? no', 'semi;colon', '%_\\', 'y'.repeat(65_535)];
      const safe = hostile.map((s) => s.replace('\u0000', ''));
      expect((await api('POST', '/menu/rows', { rows: safe.map((dish, i) => ({ dish, price: 100 + i })) })).status).toBe(201);
      for (const dish of safe) {
        const found = await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'dish', op: 'eq', value: dish }] } });
        expect(found.status).toBe(200);
        expect(found.body.rows.map((r: { dish: string }) => r.dish)).toEqual([dish]);
      }
      const like = await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'dish', op: 'like', value: '%\\%\\_\\\\%' }] } });
      expect(like.body.rows.map((r: { dish: string }) => r.dish)).toEqual(['%_\\']);
      const inList = await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'dish', op: 'in', value: safe.slice(0, 3) }] } });
      expect(inList.body.rows).toHaveLength(3);
      const nul = await api('POST', '/menu/rows', { rows: [{ dish: 'a\u0000b' }] });
      expect(nul.status).toBe(422);
      expect(nul.body.errors).toEqual([{ path: 'rows.0.dish', message: expect.stringMatching(/NUL/) }]);
      const nulFilter = await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'dish', op: 'like', value: '\u0000%' }, { column: 'dish', op: 'eq', value: '\u0000' }] } });
      expect(nulFilter.status).toBe(422);
      expect((await backend.ctx.db('bots').where({ id: botId }).first())).toBeDefined();
    });

    it('filters with every operator, match all and any', async () => {
      await api('POST', '/menu/rows', {
        rows: [
          { dish: 'Борщ', price: 7, vegan: true, servedFrom: '2026-01-01T00:00:00Z' },
          { dish: 'БОРЩ зелёный', price: 8, vegan: false },
          { dish: '', price: null, vegan: null },
        ],
      });
      const q = async (conditions: unknown[], match = 'all') =>
        (await api('POST', '/menu/rows/query', { filter: { match, conditions }, sort: [{ column: 'id', direction: 'asc' }], limit: 1000 })).body.rows.map((r: { dish: string }) => r.dish);
      expect(await q([{ column: 'dish', op: 'ilike', value: 'борщ%' }])).toEqual(['Борщ', 'БОРЩ зелёный']);
      expect(await q([{ column: 'dish', op: 'like', value: 'Борщ%' }])).toEqual(['Борщ']);
      for (const literal of ['Борщ-%', "x' or 1=1 --", '(.*)$', '[a-z]{2}|/']) expect(await q([{ column: 'dish', op: 'ilike', value: literal }])).toEqual([]);
      expect(await q([{ column: 'price', op: 'gte', value: 7 }, { column: 'price', op: 'lt', value: 8 }])).toEqual(['Борщ']);
      expect(await q([{ column: 'price', op: 'gt', value: 7.5 }, { column: 'price', op: 'lte', value: 8 }])).toEqual(['БОРЩ зелёный']);
      expect(await q([{ column: 'price', op: 'eq', value: 7 }, { column: 'price', op: 'eq', value: 8 }], 'any')).toEqual(['Борщ', 'БОРЩ зелёный']);
      expect(await q([{ column: 'vegan', op: 'isTrue' }])).toEqual(['Oat latte', 'Борщ']);
      expect(await q([{ column: 'vegan', op: 'isFalse' }])).toEqual(['Latte', 'БОРЩ зелёный']);
      expect(await q([{ column: 'dish', op: 'isEmpty' }])).toEqual(['']);
      expect(await q([{ column: 'price', op: 'isEmpty' }])).toEqual(['']);
      expect(await q([{ column: 'dish', op: 'isNotEmpty' }, { column: 'servedFrom', op: 'gte', value: '2026-01-01' }, { column: 'servedFrom', op: 'lt', value: '2026-06-01T00:00:00Z' }])).toEqual(['Борщ']);
      const neq = await q([{ column: 'vegan', op: 'neq', value: false }]);
      expect(neq).toContain('');
      expect(neq).not.toContain('Latte');
      expect(await q([{ column: 'extras', op: 'isNotEmpty' }])).toEqual(['Latte']);
    });

    it('refuses bad filters with 422: unknown column, wrong operator, bad value', async () => {
      const res = await api('POST', '/menu/rows/query', {
        filter: { conditions: [{ column: 'nope', op: 'eq', value: 1 }, { column: 'price', op: 'like', value: '1%' }, { column: 'price', op: 'eq', value: 'abc' }, { column: 'dish', op: 'in', value: [] }, { column: 'dish', op: 'drop', value: 1 }] },
      });
      expect(res.status).toBe(422);
      expect(res.body.errors.length).toBeGreaterThanOrEqual(1);
      const second = await api('POST', '/menu/rows/query', {
        filter: { conditions: [{ column: 'nope', op: 'eq', value: 1 }, { column: 'price', op: 'like', value: '1%' }, { column: 'price', op: 'eq', value: 'abc' }, { column: 'dish', op: 'in', value: [] }] },
      });
      expect(second.body.errors.map((e: { path: string }) => e.path)).toEqual([
        'filter.conditions.0.column',
        'filter.conditions.1.op',
        'filter.conditions.2.value',
        'filter.conditions.3.value',
      ]);
    });

    it('updates and deletes by filter; a filter or all:true is required', async () => {
      expect((await api('PATCH', '/menu/rows', { set: { price: 1 } })).status).toBe(422);
      expect((await api('POST', '/menu/rows/delete', {})).status).toBe(422);
      const updated = await api('PATCH', '/menu/rows', { filter: { conditions: [{ column: 'dish', op: 'ilike', value: '%latte' }] }, set: { price: 5, vegan: true } });
      expect(updated.body).toMatchObject({ success: true, updated: 2 });
      const latte = await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'dish', op: 'eq', value: 'Latte' }] } });
      expect(latte.body.rows[0]).toMatchObject({ price: 5, vegan: true });
      expect((await api('PATCH', '/menu/rows', { filter: { conditions: [{ column: 'dish', op: 'eq', value: 'Latte' }] }, set: { dish: null } })).status).toBe(422);
      expect((await api('PATCH', '/menu/rows', { filter: { conditions: [{ column: 'dish', op: 'eq', value: 'Latte' }] }, set: { dish: 'Oat latte' } })).status).toBe(409);

      const deleted = await api('POST', '/menu/rows/delete', { filter: { conditions: [{ column: 'dish', op: 'ilike', value: 'борщ%' }] } });
      expect(deleted.body).toMatchObject({ success: true, deleted: 2 });
    });

    it('upserts by a unique key set, and refuses keys without a unique index', async () => {
      const refused = await api('POST', '/menu/rows/upsert', { keys: ['price'], rows: [{ dish: 'Tea', price: 2 }] });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/unique index/);
      const res = await api('POST', '/menu/rows/upsert', { keys: ['dish'], rows: [{ dish: 'Latte', price: 9 }, { dish: 'Tea', price: 2, vegan: true }, { dish: 'Tea', price: 2.5 }] });
      expect(res.body).toMatchObject({ success: true, upserted: 2 });
      const rows = (await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'dish', op: 'in', value: ['Latte', 'Tea'] }] }, sort: [{ column: 'dish' }] })).body.rows;
      expect(rows).toEqual([
        expect.objectContaining({ dish: 'Latte', price: 9, vegan: true }),
        expect.objectContaining({ dish: 'Tea', price: 2.5, vegan: null }),
      ]);
      expect((await api('POST', '/menu/rows/upsert', { keys: ['dish'], rows: [{ price: 1 }] })).status).toBe(422);

      await api('POST', '', { name: 'stock', columns: [{ name: 'shelf', type: 'string' }, { name: 'sku', type: 'string' }, { name: 'qty', type: 'number' }] });
      expect((await api('POST', '/stock/indexes', { columns: ['sku', 'shelf'], unique: true })).status).toBe(201);
      await api('POST', '/stock/rows/upsert', { keys: ['shelf', 'sku'], rows: [{ shelf: 'A1', sku: 'x', qty: 1 }, { shelf: 'A2', sku: 'x', qty: 2 }] });
      await api('POST', '/stock/rows/upsert', { keys: ['shelf', 'sku'], rows: [{ shelf: 'A1', sku: 'x', qty: 10 }] });
      const stock = (await api('POST', '/stock/rows/query', { sort: [{ column: 'shelf' }] })).body.rows.map((r: { qty: number }) => r.qty);
      expect(stock).toEqual([10, 2]);
    });

    it('adds columns; a required column only to an empty table', async () => {
      const added = await api('POST', '/menu/columns', { name: 'calories', type: 'number', unique: false });
      expect(added.status).toBe(201);
      expect(added.body.table.columns.map((c: { name: string }) => c.name)).toContain('calories');
      expect((await api('POST', '/menu/columns', { name: 'calories', type: 'number' })).status).toBe(409);
      expect((await api('POST', '/menu/columns', { name: 'grams', type: 'number', nullable: false })).status).toBe(409);
      expect((await api('POST', '/menu/columns', { name: 'code', type: 'string', unique: true })).status).toBe(201);
      await api('PATCH', '/menu/rows', { filter: { conditions: [{ column: 'dish', op: 'eq', value: 'Tea' }] }, set: { calories: 0, code: 'T' } });
      const tea = await api('POST', '/menu/rows/query', { filter: { conditions: [{ column: 'code', op: 'eq', value: 'T' }] } });
      expect(tea.body.rows[0]).toMatchObject({ dish: 'Tea', calories: 0, code: 'T' });
      expect((await api('POST', '/menu/rows', { rows: [{ dish: 'Chai', code: 'T' }] })).status).toBe(409);
    });
  });

  describe('paging', () => {
    beforeAll(async () => {
      await api('POST', '', { name: 'scores', columns: [{ name: 'user', type: 'string' }, { name: 'score', type: 'number' }, { name: 'at', type: 'datetime' }] });
      const rows = Array.from({ length: 57 }, (_, i) => ({ user: `u${i % 7}`, score: i % 5 === 0 ? null : (i * 7) % 11, at: i % 4 === 0 ? null : Date.UTC(2026, 0, 1 + (i % 9)) }));
      await api('POST', '/scores/rows', { rows });
    });

    async function pages(sort: unknown[], limit: number): Promise<number[]> {
      const ids: number[] = [];
      let cursor: string | undefined;
      do {
        const res = await api('POST', '/scores/rows/query', { sort, limit, cursor });
        expect(res.status).toBe(200);
        ids.push(...res.body.rows.map((r: { id: number }) => r.id));
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      return ids;
    }

    it.each([
      [[{ column: 'score', direction: 'desc' }]],
      [[{ column: 'score', direction: 'asc' }]],
      [[{ column: 'user', direction: 'asc' }, { column: 'at', direction: 'desc' }]],
      [[{ column: 'at', direction: 'asc' }, { column: 'score', direction: 'desc' }]],
      [[]],
    ])('cursor pages through every row exactly once in sort order: %j', async (sort) => {
      const all = (await api('POST', '/scores/rows/query', { sort, limit: 1000 })).body.rows.map((r: { id: number }) => r.id);
      expect(all).toHaveLength(57);
      expect(await pages(sort, 5)).toEqual(all);
      expect(await pages(sort, 56)).toEqual(all);
    });

    it('orders empty values first ascending and last descending on both dialects', async () => {
      const asc = (await api('POST', '/scores/rows/query', { sort: [{ column: 'score', direction: 'asc' }], limit: 1 })).body.rows[0];
      expect(asc.score).toBeNull();
      const desc = (await api('POST', '/scores/rows/query', { sort: [{ column: 'score', direction: 'desc' }], limit: 1000 })).body.rows;
      expect(desc[desc.length - 1].score).toBeNull();
    });

    it('offset paging, and refuses a cursor from another sort or combined with offset', async () => {
      const all = (await api('POST', '/scores/rows/query', { limit: 1000 })).body.rows.map((r: { id: number }) => r.id);
      const page = (await api('POST', '/scores/rows/query', { limit: 10, offset: 20 })).body.rows.map((r: { id: number }) => r.id);
      expect(page).toEqual(all.slice(20, 30));
      const first = await api('POST', '/scores/rows/query', { sort: [{ column: 'score' }], limit: 5 });
      expect((await api('POST', '/scores/rows/query', { sort: [{ column: 'user' }], cursor: first.body.nextCursor })).status).toBe(422);
      expect((await api('POST', '/scores/rows/query', { sort: [{ column: 'score' }], cursor: first.body.nextCursor, offset: 1 })).status).toBe(422);
      expect((await api('POST', '/scores/rows/query', { cursor: "'; drop table bots; --" })).status).toBe(422);
    });
  });
});
