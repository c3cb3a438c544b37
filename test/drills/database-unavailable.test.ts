import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorBodySchema } from '../../backend/src/platform/http/errors';
import { canRunPrivateCluster, type ChildBackend, createBotWithCli, type PrivateCluster, startChildBackend, startPrivateCluster } from './support/child-backend';

/**
 * The database goes away under load — a SQLite file that can no longer grow (the process's file-size
 * limit drops to one byte, as on a full disk) or a PostgreSQL server restarted — and comes back.
 * The API keeps answering: 201 or a 503 in the error shape, never a 500; /readyz says so; the backend
 * recovers by itself; and every row it acknowledged is there afterwards, also after a restart.
 */
interface LoadResult {
  acknowledged: string[];
  statuses: Map<number, number>;
  badAnswers: string[];
  readiness: Array<{ status: number; database?: string }>;
  /** From the database being back to the first acknowledged write. */
  recoveryMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function underLoad(backend: ChildBackend, botId: number, token: string, outage: () => Promise<void>): Promise<LoadResult> {
  const result: LoadResult = { acknowledged: [], statuses: new Map(), badAnswers: [], readiness: [], recoveryMs: NaN };
  let running = true;
  const writer = async (w: number) => {
    for (let i = 0; running; i++) {
      const customer = `w${w}-${i}`;
      const res = await fetch(`${backend.url}/api/v1/bots/${botId}/tables/orders/rows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ customer, note: 'n'.repeat(2000) }] }),
      });
      const body: unknown = await res.json().catch(() => undefined);
      result.statuses.set(res.status, (result.statuses.get(res.status) ?? 0) + 1);
      if (res.status === 201) result.acknowledged.push(customer);
      else if (res.status !== 503 || !errorBodySchema.safeParse(body).success || res.headers.get('retry-after') === null) result.badAnswers.push(`${res.status} ${JSON.stringify(body)}`);
      if (res.status === 503) await sleep(50);
    }
  };
  const prober = async () => {
    while (running) {
      const res = await fetch(`${backend.url}/readyz`);
      result.readiness.push({ status: res.status, database: ((await res.json()) as { database?: string }).database });
      await sleep(100);
    }
  };
  const load = Promise.all([writer(1), writer(2), writer(3), prober()]);
  await sleep(800);
  await outage();
  // Recovered by itself: the same process acknowledges writes again.
  const [back, acknowledgedBefore] = [Date.now(), result.acknowledged.length];
  for (const deadline = back + 15_000; result.acknowledged.length === acknowledgedBefore && Date.now() < deadline; ) await sleep(10);
  result.recoveryMs = Date.now() - back;
  for (const deadline = Date.now() + 15_000; result.acknowledged.length < acknowledgedBefore + 30 && Date.now() < deadline; ) await sleep(100);
  await sleep(300);
  running = false;
  await load;
  return result;
}

async function storedCustomers(url: string, botId: number, token: string): Promise<Set<string>> {
  const res = await fetch(`${url}/api/v1/bots/${botId}/tables/orders/export?format=json`, { headers: { authorization: `Bearer ${token}` } });
  return new Set(((await res.json()) as Array<{ customer: string }>).map((row) => row.customer));
}

async function createOrdersTable(url: string, botId: number, token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/bots/${botId}/tables`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'orders', columns: [{ name: 'customer', type: 'string', unique: true }, { name: 'note', type: 'string' }] }),
  });
  expect(res.status).toBe(201);
}

function expectOutageHandled(name: string, result: LoadResult, unavailable: string): void {
  const summary = { acknowledged: result.acknowledged.length, statuses: Object.fromEntries(result.statuses), recoveryMs: result.recoveryMs };
  process.stdout.write(`database drill (${name}): ${JSON.stringify(summary)}\n`);
  expect(result.badAnswers).toEqual([]);
  expect([...result.statuses.keys()].sort()).toEqual([201, 503]);
  const states = result.readiness.map((r) => `${r.status} ${r.database}`);
  expect(states).toContain(`503 ${unavailable}`);
  expect(states.at(-1)).toBe('200 ok');
  // The server can go between the probe's read and its write: either 503 may show in a restart.
  expect(states.filter((s) => !['200 ok', '503 unwritable', '503 unreachable'].includes(s))).toEqual([]);
}

describe('database unavailable under load', () => {
  it('SQLite: a file that cannot grow (disk full) answers 503, recovers when space is back, loses nothing acknowledged', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-full-'));
    const env = { DATA_DIR: dataDir };
    const { botId, token } = createBotWithCli(env);
    let backend = await startChildBackend(env);
    try {
      await createOrdersTable(backend.url, botId, token);
      const fileLimit = (limit: string) => execFileSync('prlimit', ['--pid', String(backend.pid), `--fsize=${limit}`]);
      const result = await underLoad(backend, botId, token, async () => {
        fileLimit('1:');
        await sleep(1500);
        fileLimit('unlimited:');
      });
      expectOutageHandled('sqlite file limit', result, 'unwritable');
      expect(backend.alive()).toBe(true);
      expect(backend.output()).not.toMatch(/"level":50.*"msg":"request failed".*(TypeError|RangeError)/);

      const stored = await storedCustomers(backend.url, botId, token);
      expect(result.acknowledged.filter((c) => !stored.has(c))).toEqual([]);
      await backend.stop();
      backend = await startChildBackend(env);
      const afterRestart = await storedCustomers(backend.url, botId, token);
      expect(result.acknowledged.filter((c) => !afterRestart.has(c))).toEqual([]);
    } finally {
      await backend.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  (canRunPrivateCluster ? it : it.skip)('PostgreSQL: a restart of the server mid-run answers 503, recovers by itself, loses nothing acknowledged', async () => {
    const cluster: PrivateCluster = await startPrivateCluster();
    const env = { DATABASE_URL: cluster.url, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-pgdrill-')) };
    let backend: ChildBackend | undefined;
    try {
      const { botId, token } = createBotWithCli(env);
      backend = await startChildBackend(env);
      await createOrdersTable(backend.url, botId, token);
      const result = await underLoad(backend, botId, token, async () => {
        cluster.stop('fast');
        await sleep(1500);
        cluster.start();
      });
      expectOutageHandled('postgresql restart', result, 'unreachable');
      expect(backend.alive()).toBe(true);
      const stored = await storedCustomers(backend.url, botId, token);
      expect(result.acknowledged.filter((c) => !stored.has(c))).toEqual([]);

      // A crash of the server (no shutdown checkpoint) loses nothing acknowledged either.
      cluster.stop('immediate');
      cluster.start();
      const afterCrash = await storedCustomers(backend.url, botId, token).catch(async () => {
        await sleep(500);
        return storedCustomers(backend!.url, botId, token);
      });
      expect(result.acknowledged.filter((c) => !afterCrash.has(c))).toEqual([]);
    } finally {
      await backend?.stop();
      cluster.destroy();
      fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
  }, 120_000);
});
