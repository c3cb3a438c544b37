import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`data tables: CSV and JSON import/export (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const api = (method: string, path: string, opts: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) =>
    backend.request(method, `/api/v1/bots/${botId}/tables${path}`, { token, ...opts });
  const csv = (path: string, text: string) => api('POST', path, { rawBody: text, headers: { 'content-type': 'text/csv' } });
  const count = async (name: string) => (await api('GET', `/${name}`)).body.table.rowCount;

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot());
    await api('POST', '', {
      body: {
        name: 'menu',
        columns: [
          { name: 'dish', type: 'string', nullable: false, unique: true },
          { name: 'price', type: 'number' },
          { name: 'vegan', type: 'boolean' },
          { name: 'servedFrom', type: 'datetime' },
          { name: 'extras', type: 'json' },
        ],
      },
    });
  });
  afterAll(() => backend.close());

  it('imports a spreadsheet CSV (quotes, commas, newlines, unicode, empty cells)', async () => {
    const text = '\uFEFFdish,price,vegan,servedFrom,extras\n"Latte, large",3.5,no,2026-11-21T08:00:00Z,"{""sizes"":[""L""]}"\n"Сырники ""домашние""\nс изюмом",5,yes,,\nTea,,,,\n';
    const res = await csv('/menu/import?format=csv', text);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, imported: 3, mode: 'append' });
    const rows = (await api('POST', '/menu/rows/query', { body: { sort: [{ column: 'id' }] } })).body.rows;
    expect(rows.map((r: Record<string, unknown>) => [r.dish, r.price, r.vegan, r.servedFrom, r.extras])).toEqual([
      ['Latte, large', 3.5, false, '2026-11-21T08:00:00.000Z', { sizes: ['L'] }],
      ['Сырники "домашние"\nс изюмом', 5, true, null, null],
      ['Tea', null, null, null, null],
    ]);
  });

  it('reports every bad CSV row by line and imports nothing', async () => {
    const before = await count('menu');
    const res = await csv('/menu/import?format=csv', 'dish,price,vegan\nCocoa,2,yes\n,abc,maybe\nBun,1,no\nPie,x1,\n');
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/Nothing was imported: 2 rows/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['line.3.dish', 'line.3.price', 'line.3.vegan', 'line.5.price']);
    expect(await count('menu')).toBe(before);
    const header = await csv('/menu/import?format=csv', 'dish,colour\nA,red\n');
    expect(header.body.errors).toEqual([{ path: 'header.colour', message: 'unknown column' }]);
    const broken = await csv('/menu/import?format=csv', 'dish,price\n"unterminated,1\n');
    expect(broken.status).toBe(422);
  });

  it('rolls back an import that repeats a unique value', async () => {
    const before = await count('menu');
    const res = await api('POST', '/menu/import?format=json', { body: [{ dish: 'New' }, { dish: 'Tea' }] });
    expect(res.status).toBe(409);
    expect(await count('menu')).toBe(before);
  });

  it('exports CSV and JSON that import back identically (replace mode)', async () => {
    const exportedCsv = await api('GET', '/menu/export?format=csv');
    expect(exportedCsv.status).toBe(200);
    expect(exportedCsv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(String(exportedCsv.body).split('\n')[0]).toBe('id,createdAt,updatedAt,dish,price,vegan,servedFrom,extras');
    const exportedJson = await api('GET', '/menu/export?format=json');
    const before = exportedJson.body.map(({ dish, price, vegan, servedFrom, extras }: Record<string, unknown>) => ({ dish, price, vegan, servedFrom, extras }));

    expect((await csv('/menu/import?format=csv&mode=replace', String(exportedCsv.body))).body).toMatchObject({ imported: before.length, mode: 'replace' });
    const afterCsv = (await api('GET', '/menu/export?format=json')).body.map(({ dish, price, vegan, servedFrom, extras }: Record<string, unknown>) => ({ dish, price, vegan, servedFrom, extras }));
    expect(afterCsv).toEqual(before);

    expect((await api('POST', '/menu/import?format=json&mode=replace', { body: exportedJson.body })).body).toMatchObject({ imported: before.length });
    expect(await count('menu')).toBe(before.length);
  });

  it('streams a large export page by page', async () => {
    await api('POST', '', { body: { name: 'big', columns: [{ name: 'n', type: 'number' }] } });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ n: i }));
    expect((await api('POST', '/big/rows', { body: { rows } })).status).toBe(201);
    expect((await api('POST', '/big/rows', { body: { rows: rows.slice(0, 2500) } })).status).toBe(201);
    const res = await api('GET', '/big/export?format=json');
    expect(res.body).toHaveLength(12_500);
    expect(res.body[12_499].n).toBe(2499);
    const csvText = String((await api('GET', '/big/export?format=csv')).body);
    expect(csvText.trim().split('\n')).toHaveLength(12_501);
  });

  it('refuses more than 10,000 rows in one insert and a non-array JSON import', async () => {
    expect((await api('POST', '/big/rows', { body: { rows: Array.from({ length: 10_001 }, () => ({ n: 1 })) } })).status).toBe(422);
    expect((await api('POST', '/menu/import?format=json', { body: { nope: true } })).status).toBe(422);
    expect((await api('POST', '/menu/import?format=xml', { body: [] })).status).toBe(422);
  });
});
