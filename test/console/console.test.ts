import { appendTraceHops, type TraceHop } from '../../backend/src/traces/traces';
import { consoleLogin, PASSWORD } from '../../backend/test/support/console';
import { userAccountMap } from '../../backend/test/support/maps';
import { ManualClock, startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeInChromium, toCount, useChromiumConsole } from './support/chromium-console';

/**
 * The console in a real Chromium at 1024 px: log in, every page with seeded data, the numbers on the
 * page equal to the API's, a diff and a rollback, and a read-only role that sees no rollback button
 * and is refused by the API. UPDATE_SCREENSHOTS=1 writes docs/console-*.png.
 */
jest.setTimeout(180_000);

describeInChromium('the console in Chromium', () => {
  const clock = new ManualClock(Date.now());
  const ui = useChromiumConsole(async () => ({ backend: await startTestBackend({ clock }) }), { accounts: { 'admin@example.com': 'admin', 'analyst@example.com': 'analyst' }, shots: 'console' });
  let backend: TestBackend;
  let botId: number;

  beforeAll(async () => {
    ({ backend } = ui.served);
    const bot = await backend.createBot({ name: 'Shop bot', map: userAccountMap });
    botId = bot.botId;
    const changed = { ...userAccountMap, endpoints: [...userAccountMap.endpoints.slice(1).map((e) => (e.alias === 'payments/succeeded' ? { ...e, purpose: 'A payment went through (card or SBP)' } : e)), { alias: 'orders/shipped', purpose: 'An order left the warehouse', owner: 'Logistics' }] };
    await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token: bot.token, body: { document: changed, author: 'boris', comment: 'shipping notices' } });
    await seedTraces(backend, clock, botId);
  });

  it('refuses a wrong password, logs in, and lists traces with the numbers the API gives', async () => {
    const page = await ui.open();
    await page.goto(`${backend.url}/console`);
    await page.screenshot({ path: ui.shot('console-login.png') });
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Traces' }).waitFor();

    const api = await consoleLogin(backend, 'admin@example.com');
    const expected = (await api.request('GET', `/bots/${botId}/traces`)).body.traces as Array<{ traceId: string; hops: number; failures: number }>;
    const rows = page.getByRole('table', { name: 'Traces found' }).locator('tbody tr');
    await toCount(rows, expected.length);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({ traceId: tr.querySelector('a')!.textContent, hops: Number(tr.querySelector('[data-field=hops]')!.textContent), failures: Number(tr.querySelector('[data-field=failures]')!.textContent) })));
    expect(shown).toEqual(expected.map(({ traceId, hops, failures }) => ({ traceId, hops, failures })));
    expect(await page.locator('tbody tr.failed').count()).toBe(expected.filter((t) => t.failures > 0).length);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: ui.shot('console-traces.png'), fullPage: true });

    await page.getByLabel('User id').fill('crm-42');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/userId=crm-42/);
    await toCount(rows, (await api.request('GET', `/bots/${botId}/traces?userId=crm-42`)).body.traces.length);

    await page.getByRole('link', { name: 'tr-payment' }).click();
    const trace = (await api.request('GET', `/bots/${botId}/traces/tr-payment`)).body.hops as Array<{ hop: string; status: string }>;
    const items = page.getByRole('list', { name: 'Timeline' }).locator('li.hop');
    await toCount(items, trace.length);
    expect(await items.locator('strong').allTextContents()).toEqual(trace.map((h) => h.hop));
    expect(await page.locator('li.hop.failed').count()).toBe(trace.filter((h) => h.status === 'failed').length);
    expect(await page.locator('[data-field=hop-count]').textContent()).toBe(String(trace.length));
    await page.screenshot({ path: ui.shot('console-trace.png'), fullPage: true });
    await page.context().close();
  });

  it('shows map versions and endpoints, diffs two versions side by side, and rolls back after confirmation', async () => {
    const page = await ui.logIn('admin@example.com');
    await page.getByRole('link', { name: 'Maps' }).click();
    const api = await consoleLogin(backend, 'admin@example.com');
    const versions = (await api.request('GET', `/bots/${botId}/maps`)).body.versions as Array<{ version: number; endpointCount: number; author: string }>;
    const versionRows = page.getByRole('table', { name: 'Map versions' }).locator('tbody tr');
    await toCount(versionRows, versions.length);
    expect(await versionRows.locator('[data-field=endpoints]').allTextContents()).toEqual(versions.map((v) => String(v.endpointCount)));
    const current = (await api.request('GET', `/bots/${botId}/maps/current`)).body.map;
    await toCount(page.getByRole('table', { name: 'Endpoints' }).locator('tbody tr'), current.document.endpoints.length);
    await page.screenshot({ path: ui.shot('console-maps.png'), fullPage: true });

    await page.getByRole('button', { name: 'Compare 1 and 2' }).click();
    await page.getByRole('heading', { name: 'Version 1 → version 2' }).waitFor();
    const diff = (await api.request('GET', `/bots/${botId}/maps/diff?from=1&to=2`)).body.diff;
    expect(await page.locator('[data-field=added]').textContent()).toBe(`${diff.added.length} added`);
    expect(await page.locator('[data-field=removed]').textContent()).toBe(`${diff.removed.length} removed`);
    expect(await page.locator('[data-field=changed]').textContent()).toBe(`${diff.changed.length} changed`);
    const changedRow = page.locator('.diff-row[data-alias="payments/succeeded"]');
    await toCount(changedRow.locator('pre.side'), 2);
    expect(await changedRow.locator('pre.side').nth(1).locator('.differs').allTextContents()).toEqual([expect.stringContaining('card or SBP')]);
    await page.screenshot({ path: ui.shot('console-diff.png'), fullPage: true });

    // Cancel first: nothing changes; then confirm.
    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect((await api.request('GET', `/bots/${botId}/maps`)).body.versions).toHaveLength(versions.length);
    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await page.getByRole('dialog').getByLabel('Comment').fill('shipping notices postponed');
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back', exact: true }).click();
    await page.getByRole('heading', { name: `Version 1 → version ${versions.length + 1}` }).waitFor();
    expect(await page.locator('[data-field=added]').textContent()).toBe('0 added');
    expect(await page.locator('[data-field=changed]').textContent()).toBe('0 changed');
    const after = (await api.request('GET', `/bots/${botId}/maps`)).body.versions[0];
    expect(after).toMatchObject({ version: versions.length + 1, rolledBackFrom: 1, author: 'admin@example.com', authorKind: 'console', comment: 'shipping notices postponed' });
    await page.context().close();
  });

  it('gives a read-only role no rollback button, and the API refuses it 403', async () => {
    const page = await ui.logIn('analyst@example.com');
    await page.getByRole('link', { name: 'Maps' }).click();
    await page.getByRole('table', { name: 'Map versions' }).waitFor();
    await toCount(page.getByRole('button', { name: /Roll back/ }), 0);
    await toCount(page.getByRole('link', { name: 'Users' }), 0);
    const status = await page.evaluate(async (bot) => {
      const session = (await (await fetch('/console/api/session')).json()) as { csrfToken: string };
      const res = await fetch(`/console/api/bots/${bot}/maps/rollback`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ version: 1 }) });
      return res.status;
    }, botId);
    expect(status).toBe(403);
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByRole('heading', { name: /→ version/ }).waitFor();
    await toCount(page.getByRole('button', { name: /Roll back/ }), 0);
    await page.context().close();
  });

  it('lists console accounts for the admin, and logging out everywhere ends the session', async () => {
    const page = await ui.logIn('admin@example.com');
    await page.getByRole('link', { name: 'Users' }).click();
    const api = await consoleLogin(backend, 'admin@example.com');
    const users = (await api.request('GET', '/users')).body.users;
    await toCount(page.getByRole('table', { name: 'Console accounts' }).locator('tbody tr'), users.length);
    await page.screenshot({ path: ui.shot('console-users.png'), fullPage: true });
    await page.getByRole('button', { name: 'Log out everywhere' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect((await api.request('GET', '/session')).status).toBe(401);
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.context().close();
  });
});

/** A payment's chain with a failed message, a plain call, and a user's answer, over a few seconds. */
async function seedTraces(backend: TestBackend, clock: ManualClock, botId: number): Promise<void> {
  const hop = (traceId: string, rest: Omit<TraceHop, 'botId' | 'traceId'>, afterMs = 300): TraceHop & { afterMs: number } => ({ botId, traceId, ...rest, afterMs });
  const chains: Array<Array<TraceHop & { afterMs: number }>> = [
    [
      hop('tr-payment', { hop: 'endpoint.called', status: 'accepted', alias: 'payments/succeeded', sourceSystem: 'crm', userId: 'crm-42' }),
      hop('tr-payment', { hop: 'workflow.delivered', status: 'delivered', alias: 'payments/succeeded' }),
      hop('tr-payment', { hop: 'message.queued', status: 'queued', userId: 'crm-42' }),
      hop('tr-payment', { hop: 'message.sent', status: 'sent', userId: 'crm-42', leadId: 'ld_tg1', latencyMs: 84 }),
      hop('tr-payment', { hop: 'message.failed', status: 'failed', userId: 'crm-42', leadId: 'ld_wc1', detail: { reason: 'chat not found' } }),
      hop('tr-payment', { hop: 'wait.answered', status: 'answered', userId: 'crm-42', leadId: 'ld_tg1' }, 95_000),
      hop('tr-payment', { hop: 'wait.resumed', status: 'delivered', userId: 'crm-42' }, 120),
    ],
    [hop('tr-update', { hop: 'endpoint.called', status: 'accepted', alias: 'users/update', sourceSystem: 'crm', userId: 'crm-7' }), hop('tr-update', { hop: 'workflow.delivered', status: 'exhausted', alias: 'users/update' })],
    [hop('tr-hello', { hop: 'message.received', status: 'received', sourceSystem: 'telegram', leadId: 'ld_tg1' })],
  ];
  for (const chain of chains) {
    for (const { afterMs, ...h } of chain) {
      clock.advance(afterMs);
      await appendTraceHops(backend.ctx.db, clock, [h]);
    }
  }
}
