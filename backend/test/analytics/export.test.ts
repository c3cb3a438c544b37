import http from 'node:http';
import { csvField } from '../../src/analytics/export';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const ROWS = 3000;
const hostile = ['plain', 'comma, inside', 'quote " inside', 'line\nbreak', 'crlf\r\nbreak', '=1+1', '+SUM(A1)', '-2', '@cmd', 'ünïcödé 😀', '', '"', ',,,'];

/** RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') quoted = false;
    else if (quoted) field += c;
    else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      records.push(record);
      record = [];
      i++;
    } else field += c;
  }
  return records;
}

/** What a CSV reader gets back for a text field: the text, with the apostrophe that disarms a formula. */
const asCsvText = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

describe(`analytics export (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let otherBot: number;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
    ({ botId: otherBot } = await backend.createBot());
    const events = Array.from({ length: ROWS }, (_, i) => ({
      bot_id: i % 10 === 9 ? otherBot : botId,
      type: 'message.received',
      trace_id: `trace-${i}`,
      lead_id: `ld_${i % 7}`,
      user_id: i % 3 ? hostile[i % hostile.length] : null,
      alias: null,
      payload: JSON.stringify({ text: hostile[i % hostile.length], i }),
      created_at: T0 + i * 60_000,
      fanout: 'unmatched',
    }));
    for (let i = 0; i < events.length; i += 200) await backend.ctx.db('events').insert(events.slice(i, i + 200));
    const hops = Array.from({ length: 1200 }, (_, i) => ({ bot_id: botId, trace_id: `trace-${i}`, hop: 'message.sent', status: 'sent', source_system: hostile[i % hostile.length].slice(0, 100), latency_ms: i, detail: JSON.stringify({ n: i }), created_at: T0 + i * 1000 }));
    for (let i = 0; i < hops.length; i += 200) await backend.ctx.db('trace_hops').insert(hops.slice(i, i + 200));
    await backend.ctx.db('messages').insert({ id: 'msg_1', bot_id: botId, trace_id: 'trace-1', content: '{}', critical: false, created_at: T0 });
    await backend.ctx.db('message_recipients').insert([
      { message_id: 'msg_1', bot_id: botId, lead_id: 'ld_1', user_id: 'u, "1"', channel: 'telegram', chat_id: '1', status: 'sent', attempts: 2, due_at: T0, sent_at: T0 + 5, updated_at: T0 },
      { message_id: 'msg_1', bot_id: botId, lead_id: 'ld_2', user_id: null, channel: 'whatsapp', chat_id: '2', status: 'failed', attempts: 1, error: '131026 "undeliverable"\nretry later', due_at: T0, updated_at: T0 },
    ]);
  });
  afterAll(() => backend.close());

  // A fresh connection per export (no keep-alive): on a loaded machine the checks between two exports
  // can outlast the server's idle timeout, and a reused socket would then be reset under the request.
  const exportOf = (query: string, t = token) =>
    new Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>((resolve, reject) => {
      const request = http.get(`${backend.url}/api/v1/bots/${botId}/analytics/export?${query}`, { agent: false, headers: { authorization: `Bearer ${t}` } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: { get: (name) => (response.headers[name] as string | undefined) ?? null }, text: async () => body });
        });
      });
      request.on('error', reject);
    });
  const window = (fromMinute: number, toMinute: number) => `from=${new Date(T0 + fromMinute * 60_000).toISOString()}&to=${new Date(T0 + toMinute * 60_000).toISOString()}`;
  const expectedEvents = (fromMinute: number, toMinute: number) =>
    backend.ctx.db('events').where({ bot_id: botId }).where('created_at', '>=', T0 + fromMinute * 60_000).where('created_at', '<', T0 + toMinute * 60_000).orderBy('id');

  it('streams the events of a window as NDJSON, every row once, in id order, only this bot', async () => {
    const response = await exportOf(`kind=events&format=ndjson&${window(100, 2900)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).split('\n');
    expect(lines.pop()).toBe('');
    const rows = lines.map((line) => JSON.parse(line));
    const expected = await expectedEvents(100, 2900);
    expect(rows.length).toBe(expected.length);
    expect(rows.length).toBeGreaterThan(2000);
    rows.forEach((row, i) => {
      expect(row).toEqual({ id: Number(expected[i].id), type: 'message.received', trace_id: expected[i].trace_id, lead_id: expected[i].lead_id, user_id: expected[i].user_id, alias: null, created_at: new Date(Number(expected[i].created_at)).toISOString(), payload: expected[i].payload });
    });
  });

  it('streams CSV that a spreadsheet reads back exactly, quotes, commas, line breaks and formulas included', async () => {
    const response = await exportOf(`kind=events&format=csv&${window(0, ROWS)}`);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...records] = parseCsv(await response.text());
    expect(header).toEqual(['id', 'type', 'trace_id', 'lead_id', 'user_id', 'alias', 'created_at', 'payload']);
    const expected = await expectedEvents(0, ROWS);
    expect(records.length).toBe(expected.length);
    records.forEach((record, i) => {
      const row = expected[i];
      expect(record).toEqual([String(row.id), 'message.received', row.trace_id, row.lead_id, row.user_id === null ? '' : asCsvText(row.user_id), '', new Date(Number(row.created_at)).toISOString(), row.payload]);
    });
  });

  it('exports messages (one row per recipient) and trace hops', async () => {
    const messages = parseCsv(await (await exportOf(`kind=messages&format=csv&${window(-1, 1)}`)).text());
    expect(messages).toEqual([
      ['id', 'message_id', 'trace_id', 'lead_id', 'user_id', 'channel', 'status', 'attempts', 'error', 'created_at', 'sent_at', 'delivered_at', 'read_at'],
      [expect.any(String), 'msg_1', 'trace-1', 'ld_1', 'u, "1"', 'telegram', 'sent', '2', '', new Date(T0).toISOString(), new Date(T0 + 5).toISOString(), '', ''],
      [expect.any(String), 'msg_1', 'trace-1', 'ld_2', '', 'whatsapp', 'failed', '1', '131026 "undeliverable"\nretry later', new Date(T0).toISOString(), '', '', ''],
    ]);
    const hops = (await (await exportOf(`kind=traces&format=ndjson&${window(0, 10)}`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(hops).toHaveLength(600);
    expect(hops[13]).toMatchObject({ trace_id: 'trace-13', hop: 'message.sent', latency_ms: 13, source_system: hostile[0], detail: '{"n":13}' });
  });

  it('refuses without the analytics scope or without a window', async () => {
    expect((await exportOf('kind=events&format=csv')).status).toBe(422);
    expect((await exportOf(`kind=rows&${window(0, 1)}`)).status).toBe(422);
    const { token: another } = await backend.createBot();
    expect((await exportOf(`kind=events&${window(0, 1)}`, another)).status).toBe(403);
  });

  it('writes fields the RFC 4180 way', () => {
    expect([csvField(null), csvField(3), csvField('a'), csvField('a,b'), csvField('say "hi"'), csvField('=cmd'), csvField('-1,2')]).toEqual(['', '3', 'a', '"a,b"', '"say ""hi"""', "'=cmd", `"'-1,2"`]);
  });
});
