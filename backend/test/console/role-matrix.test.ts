import type { Role } from '../../src/console/roles';
import { appendTraceHops } from '../../src/traces/traces';
import { addConsoleUser, consoleLogin, type ConsoleClient } from '../support/console';
import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

type Route = { name: string; method: string; path: (botId: number) => string; body?: (role: string) => unknown };

const NO_LEAD = 'ld_nobodyatall';

const ROUTES: Route[] = [
  { name: 'session', method: 'GET', path: () => '/session' },
  { name: 'bots', method: 'GET', path: () => '/bots' },
  { name: 'users.list', method: 'GET', path: () => '/users' },
  { name: 'users.create', method: 'POST', path: () => '/users', body: (role) => ({ email: `made-by-${role}-${Math.random()}@example.com`, password: 'a long enough password', role: 'analyst' }) },
  { name: 'users.disable', method: 'POST', path: () => '/users/disable', body: () => ({ email: 'throwaway@example.com' }) },
  { name: 'traces.search', method: 'GET', path: (b) => `/bots/${b}/traces` },
  { name: 'traces.read', method: 'GET', path: (b) => `/bots/${b}/traces/tr-matrix` },
  { name: 'maps.versions', method: 'GET', path: (b) => `/bots/${b}/maps` },
  { name: 'maps.current', method: 'GET', path: (b) => `/bots/${b}/maps/current` },
  { name: 'maps.diff', method: 'GET', path: (b) => `/bots/${b}/maps/diff?from=1&to=2` },
  { name: 'maps.rollback', method: 'POST', path: (b) => `/bots/${b}/maps/rollback`, body: () => ({ version: 1 }) },
  { name: 'analytics.figures', method: 'GET', path: (b) => `/bots/${b}/analytics` },
  { name: 'analytics.communications', method: 'GET', path: (b) => `/bots/${b}/analytics/communications` },
  { name: 'analytics.channels', method: 'GET', path: (b) => `/bots/${b}/analytics/channels` },
  { name: 'analytics.series', method: 'GET', path: (b) => `/bots/${b}/analytics/series?bucket=hour` },
  { name: 'templates.list', method: 'GET', path: (b) => `/bots/${b}/templates` },
  { name: 'templates.get', method: 'GET', path: (b) => `/bots/${b}/templates/matrix` },
  { name: 'templates.versions', method: 'GET', path: (b) => `/bots/${b}/templates/matrix/versions` },
  { name: 'templates.diff', method: 'GET', path: (b) => `/bots/${b}/templates/matrix/diff?from=1&to=1` },
  { name: 'templates.placeholders', method: 'GET', path: (b) => `/bots/${b}/template-placeholders` },
  { name: 'templates.preview', method: 'POST', path: (b) => `/bots/${b}/template-preview`, body: () => ({ content: { text: 'Hi [[ lead.firstName ]]' }, sample: { firstName: 'Ann' } }) },
  { name: 'templates.save', method: 'POST', path: (b) => `/bots/${b}/templates/matrix`, body: (role) => ({ content: { text: `saved by ${role}` } }) },
  { name: 'templates.rollback', method: 'POST', path: (b) => `/bots/${b}/templates/matrix/rollback`, body: () => ({ version: 1 }) },
  { name: 'analytics.heatmap', method: 'GET', path: (b) => `/bots/${b}/analytics/heatmap` },
  { name: 'analytics.export', method: 'GET', path: (b) => `/bots/${b}/analytics/export?kind=traces&format=csv&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z` },
  // The desk: an unknown lead or answer is a 404 for a role that may, so nothing is changed by the matrix.
  { name: 'desk.queue', method: 'GET', path: (b) => `/bots/${b}/desk/conversations?queue=waiting` },
  { name: 'desk.conversation', method: 'GET', path: (b) => `/bots/${b}/desk/conversations/${NO_LEAD}` },
  { name: 'desk.operators', method: 'GET', path: (b) => `/bots/${b}/desk/operators` },
  { name: 'desk.stream', method: 'HEAD', path: (b) => `/bots/${b}/desk/stream` },
  { name: 'desk.answers', method: 'GET', path: (b) => `/bots/${b}/desk/canned-answers` },
  ...['take', 'return', 'close'].map((action) => ({ name: `desk.${action}`, method: 'POST', path: (b: number) => `/bots/${b}/desk/conversations/${NO_LEAD}/${action}` })),
  { name: 'desk.transfer', method: 'POST', path: (b) => `/bots/${b}/desk/conversations/${NO_LEAD}/transfer`, body: () => ({ operator: 'operator@example.com' }) },
  { name: 'desk.reply', method: 'POST', path: (b) => `/bots/${b}/desk/conversations/${NO_LEAD}/reply`, body: () => ({ text: 'Hello' }) },
  { name: 'desk.note', method: 'POST', path: (b) => `/bots/${b}/desk/conversations/${NO_LEAD}/notes`, body: () => ({ text: 'Called back' }) },
  { name: 'desk.answers.create', method: 'POST', path: (b) => `/bots/${b}/desk/canned-answers`, body: (role) => ({ title: `by ${role} ${Math.random()}`, text: 'Thanks!' }) },
  { name: 'desk.answers.update', method: 'PUT', path: (b) => `/bots/${b}/desk/canned-answers/999999`, body: () => ({ title: 'x', text: 'y' }) },
  { name: 'desk.answers.delete', method: 'DELETE', path: (b) => `/bots/${b}/desk/canned-answers/999999` },
];
const ANALYTICS_READ = ['analytics.figures', 'analytics.communications', 'analytics.channels', 'analytics.series', 'analytics.heatmap'];
const DESK = ROUTES.filter((r) => r.name.startsWith('desk.')).map((r) => r.name);
const TEMPLATES_READ = ['templates.list', 'templates.get', 'templates.versions', 'templates.diff'];
const TEMPLATES_WRITE = ['templates.placeholders', 'templates.preview', 'templates.save', 'templates.rollback'];

/** What each role may do: the rule as the product states it, written out (not read from the code under test). */
const ALLOWED: Record<Role, string[]> = {
  admin: ROUTES.map((r) => r.name),
  architect: ['session', 'bots', 'traces.search', 'traces.read', 'maps.versions', 'maps.current', 'maps.diff', 'maps.rollback', ...TEMPLATES_READ],
  manager: ['session', 'bots', 'maps.versions', 'maps.current', 'maps.diff', ...ANALYTICS_READ, ...TEMPLATES_READ, ...TEMPLATES_WRITE],
  analyst: ['session', 'bots', 'traces.search', 'traces.read', 'maps.versions', 'maps.current', 'maps.diff', ...ANALYTICS_READ, 'analytics.export', ...TEMPLATES_READ],
  operator: ['session', 'bots', 'traces.search', 'traces.read', ...DESK],
};
const BOT_ROUTES = ROUTES.filter((r) => r.path(0).startsWith('/bots/'));

describe(`console role × route matrix (${dialect})`, () => {
  let backend: TestBackend;
  let mine: number;
  let other: number;
  const everyBot = new Map<Role, ConsoleClient>();
  const oneBot = new Map<Role, ConsoleClient>();

  beforeAll(async () => {
    backend = await startTestBackend();
    for (const _ of [0, 1]) {
      const { botId, token } = await backend.createBot({ map: userAccountMap });
      await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token, body: { document: { ...userAccountMap, name: 'Second' } } });
      await appendTraceHops(backend.ctx.db, backend.ctx.clock, [{ botId, traceId: 'tr-matrix', hop: 'endpoint.called', status: 'accepted', alias: 'users/update' }]);
      await backend.request('POST', `/api/v1/bots/${botId}/templates/matrix`, { token, body: { content: { text: 'Hi [[ lead.firstName ]]' } } });
      if (_ === 0) mine = botId;
      else other = botId;
    }
    await addConsoleUser(backend, 'throwaway@example.com', 'analyst');
    for (const role of Object.keys(ALLOWED) as Role[]) {
      await addConsoleUser(backend, `${role}@example.com`, role);
      await addConsoleUser(backend, `${role}-one@example.com`, role, [mine]);
      everyBot.set(role, await consoleLogin(backend, `${role}@example.com`));
      oneBot.set(role, await consoleLogin(backend, `${role}-one@example.com`));
    }
  }, 120_000);
  afterAll(() => backend.close());

  const count = async (table: string) => Number((await backend.ctx.db(table).count({ n: '*' }).first())!.n);
  /** What a refused route could have changed: map versions, templates, saved answers, notes. */
  const writtenRows = async () => [await count('communication_maps'), await count('message_templates'), await count('canned_answers'), await count('conversation_notes')];
  const call = (client: ConsoleClient, route: Route, role: string, botId: number) => client.request(route.method, route.path(botId), route.body?.(role));

  it.each(Object.keys(ALLOWED) as Role[])('%s: allowed routes answer, the others are 403 and change nothing', async (role) => {
    for (const client of [everyBot.get(role)!, oneBot.get(role)!]) {
      for (const route of ROUTES) {
        const before = await writtenRows();
        const res = await call(client, route, role, mine);
        const allowed = ALLOWED[role].includes(route.name);
        expect({ route: route.name, status: allowed ? res.status < 300 || res.status === 404 : res.status }).toEqual({ route: route.name, status: allowed ? true : 403 });
        if (!allowed) expect(await writtenRows()).toEqual(before);
      }
    }
  });

  it('an account limited to one bot gets 403 on every route of another bot, before 404 for a bot that does not exist', async () => {
    for (const [role, client] of oneBot) {
      for (const route of BOT_ROUTES) {
        for (const botId of [other, 999_999]) {
          const res = await call(client, route, role, botId);
          expect({ role, route: route.name, botId, status: res.status }).toEqual({ role, route: route.name, botId, status: 403 });
        }
      }
    }
    const bots = (await oneBot.get('analyst')!.request('GET', '/bots')).body.bots.map((b: { id: number }) => b.id);
    expect(bots).toEqual([mine]);
    expect((await call(everyBot.get('admin')!, BOT_ROUTES[0], 'admin', 999_999)).status).toBe(404);
  });

  it('without a session every route is 401', async () => {
    for (const route of ROUTES) {
      const res = await backend.request(route.method, `/console/api${route.path(mine)}`, { body: route.body?.('anonymous'), headers: { origin: backend.url } });
      expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 401 });
    }
  });
});
