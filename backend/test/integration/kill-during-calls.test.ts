import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';
import { ensureBuiltCli } from '../support/cli';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/** `metabot-backend serve` on port 0: `url` resolves once it logs that it listens, `exited` when it is gone. */
function serve(env: Record<string, string>): { child: ChildProcess; url: Promise<string>; exited: Promise<unknown> } {
  const child = spawn(process.execPath, [ensureBuiltCli(), 'serve'], { env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'metabot backend listening' && entry.url) resolve(entry.url);
    });
  });
  return { child, url, exited };
}

describe(`kill -9 while calls are being group-committed (${dialect})`, () => {
  let backend: TestBackend;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await backend.close();
  });

  it('every call answered 200 before the kill has its event and trace hop', async () => {
    const { botId, token } = await backend.createBot({ map: userAccountMap });
    const { DATABASE_URL } = backend.ctx.config;
    const served = serve({ DATA_DIR: backend.dataDir, ...(DATABASE_URL ? { DATABASE_URL } : {}) });
    child = served.child;
    const serverUrl = await served.url;

    const acknowledged: Array<{ traceId: string; eventId: number }> = [];
    let sent = 0;
    let killed = false;
    const caller = async () => {
      while (!killed) {
        const traceId = `kill-${sent++}`;
        try {
          const response = await fetch(`${serverUrl}/api/v1/bots/${botId}/call/users/update`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-trace-id': traceId },
            body: JSON.stringify({ script_request_params: { userId: sent, role: 'user' } }),
          });
          const body = (await response.json()) as { success?: boolean; event_id: number };
          if (response.status === 200 && body.success) acknowledged.push({ traceId, eventId: body.event_id });
        } catch {
          // the connection died with the process: this call was never acknowledged
        }
        if (acknowledged.length >= 150 && !killed) {
          killed = true;
          child!.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, caller));
    await served.exited;

    const traceIds = acknowledged.map((a) => a.traceId);
    const events = await backend.ctx.db('events').whereIn('trace_id', traceIds);
    const hops = await backend.ctx.db('trace_hops').whereIn('trace_id', traceIds).andWhere({ hop: 'endpoint.called' });
    const eventTrace = new Map(events.map((e) => [Number(e.id), e.trace_id]));
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);
    expect(acknowledged.filter((a) => eventTrace.get(a.eventId) !== a.traceId)).toEqual([]);
    expect(new Set(hops.map((h) => h.trace_id)).size).toBe(acknowledged.length);
  });
});
