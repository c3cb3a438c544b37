import { addConsoleUser, consoleLogin, type ConsoleClient } from '../support/console';
import { seedLinkedLeads, type SeededLead } from '../support/delivery';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

/** The console's template library routes: the library's own functions behind a console role, and the editor's live preview. */
describe(`console template library routes (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let otherBot: number;
  let token: string;
  let leads: SeededLead[];
  let foreignLead: SeededLead;
  let manager: ConsoleClient;
  let analyst: ConsoleClient;
  const welcome = { text: 'Hi [[ lead.firstName ]]', buttons: [[{ text: 'Shop', url: 'https://example.com/shop' }]], variants: { ru: { text: 'Привет, [[ lead.firstName ]]' } } };
  const preview = (body: unknown) => manager.request('POST', `/bots/${botId}/template-preview`, body);

  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
    ({ botId: otherBot } = await backend.createBot());
    leads = await seedLinkedLeads(backend.ctx.db, botId, [500, 501]);
    [foreignLead] = await seedLinkedLeads(backend.ctx.db, otherBot, [502]);
    await backend.ctx.db('leads').where({ id: leads[1].leadId }).update({ language: 'ru' });
    await addConsoleUser(backend, 'manager@example.com', 'manager');
    await addConsoleUser(backend, 'analyst@example.com', 'analyst');
    manager = await consoleLogin(backend, 'manager@example.com');
    analyst = await consoleLogin(backend, 'analyst@example.com');
  });
  afterAll(() => backend.close());

  it('saves versions authored by the account, lists, reads, diffs and rolls back; a send by name renders the rolled-back text', async () => {
    const v1 = await manager.request('POST', `/bots/${botId}/templates/welcome`, { content: welcome, comment: 'first' });
    expect(v1.status).toBe(201);
    expect(v1.body.template).toMatchObject({ name: 'welcome', version: 1, author: 'manager@example.com', comment: 'first', content: welcome });
    const v2 = await manager.request('POST', `/bots/${botId}/templates/welcome`, { content: { ...welcome, text: 'Hello [[ lead.firstName ]]!' } });
    expect(v2.body.template.version).toBe(2);

    expect((await analyst.request('GET', `/bots/${botId}/templates`)).body.templates).toEqual([expect.objectContaining({ name: 'welcome', version: 2 })]);
    expect((await analyst.request('GET', `/bots/${botId}/templates/welcome?version=1`)).body.template.content).toEqual(welcome);
    expect((await analyst.request('GET', `/bots/${botId}/templates/welcome/versions`)).body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const diff = await analyst.request('GET', `/bots/${botId}/templates/welcome/diff?from=1&to=2`);
    expect(diff.body.diff).toEqual({ name: 'welcome', from: 1, to: 2, changes: [{ type: 'change', path: 'text', oldValue: 'Hi [[ lead.firstName ]]', value: 'Hello [[ lead.firstName ]]!' }] });

    const rolledBack = await manager.request('POST', `/bots/${botId}/templates/welcome/rollback`, { version: 1 });
    expect(rolledBack.status).toBe(201);
    expect(rolledBack.body.template).toMatchObject({ version: 3, rolledBackFrom: 1, author: 'manager@example.com', comment: 'Rollback to version 1', content: welcome });
    const sent = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [leads[0].leadId], template: { name: 'welcome' } }, headers: { 'X-Dry-Run': 'true' } });
    expect(sent.body.preview[0].text).toBe('Hi Name500');
  });

  it('renders a draft for a seeded lead, a user, or made-up values, choosing the language variant, with unknown placeholders and their positions', async () => {
    const draft = { text: 'Hi [[ lead.firstName ]], [[ params.coupon ]]', variants: { ru: { text: 'Привет, [[ lead.firstName ]]' } } };
    const forLead = await preview({ content: draft, previewFor: { leadId: leads[0].leadId } });
    expect(forLead.status).toBe(200);
    expect(forLead.body).toEqual({
      success: true,
      errors: [],
      preview: { leadId: leads[0].leadId, userId: 'u500', language: null, text: 'Hi Name500, ', parseMode: null, unknown: [{ path: 'text', placeholder: 'params.coupon', line: 1, column: 29, message: '"params.coupon" has no value for this person' }] },
    });
    const forUser = await preview({ content: draft, previewFor: { userId: 'u501' } });
    expect(forUser.body.preview).toMatchObject({ leadId: leads[1].leadId, language: 'ru', text: 'Привет, Name501', unknown: [] });
    const sample = await preview({ content: draft, params: { coupon: 'SPRING' }, sample: { firstName: 'Ann' } });
    expect(sample.body.preview).toMatchObject({ leadId: 'sample', userId: null, text: 'Hi Ann, SPRING', unknown: [] });
    const sampleRu = await preview({ content: { ...draft, parseMode: 'HTML' }, sample: { firstName: '<b>Ann</b>', language: 'ru-ru' } });
    expect(sampleRu.body.preview).toMatchObject({ language: 'ru', text: 'Привет, &lt;b&gt;Ann&lt;/b&gt;', parseMode: 'HTML' });
  });

  it('answers a draft that does not parse or render with the problem and its position, not a failed request', async () => {
    const unclosed = await preview({ content: { text: 'Hi\n[[ lead.firstName' }, sample: {} });
    expect(unclosed.status).toBe(200);
    expect(unclosed.body).toMatchObject({ preview: null, errors: [{ path: 'text', line: 2, column: 1, message: expect.stringContaining('not closed') }] });
    const filter = await preview({ content: { text: 'Hi', variants: { ru: { text: 'Привет [[ lead.firstName | shout ]]' } } } });
    expect(filter.body.errors).toEqual([expect.objectContaining({ path: 'variants.ru.text', line: 1, message: 'there is no filter "shout"' })]);
  });

  it('refuses bad input with 422 and the field, and a person of another bot as nobody reachable', async () => {
    const cases: Array<[unknown, string]> = [
      [{ content: { text: '' } }, 'content.text'],
      [{ content: { text: 'x' }, previewFor: { leadId: 'a', userId: 'b' } }, 'previewFor'],
      [{ content: { text: 'x' }, previewFor: { leadId: leads[0].leadId }, sample: {} }, 'sample'],
      [{ content: { text: 'x' }, previewFor: { leadId: foreignLead.leadId } }, 'previewFor'],
      [{ content: { text: 'x', buttons: [[{ text: 'a', data: 'b', url: 'https://example.com' }]] } }, 'content.buttons.0.0'],
    ];
    for (const [body, path] of cases) {
      const res = await preview(body);
      expect({ path, status: res.status, paths: res.body.errors.map((e: { path: string }) => e.path) }).toEqual({ path, status: 422, paths: expect.arrayContaining([path]) });
    }
    const save = await manager.request('POST', `/bots/${botId}/templates/Bad Name`, { content: { text: 'x' } });
    expect(save.status).toBe(422);
    const broken = await manager.request('POST', `/bots/${botId}/templates/broken`, { content: { text: 'Hi [[ lead.firstName | shout ]]' } });
    expect(broken.status).toBe(422);
    expect(broken.body.errors).toEqual([expect.objectContaining({ path: 'content.text', line: 1, message: 'there is no filter "shout"' })]);
    expect((await manager.request('GET', `/bots/${botId}/templates/nope`)).status).toBe(404);
    expect((await manager.request('GET', `/bots/${botId}/templates/welcome/diff?from=1&to=99`)).status).toBe(404);
  });

  it('a reader cannot save, roll back or preview: 403, and nothing is written', async () => {
    const count = async () => Number((await backend.ctx.db('message_templates').count({ n: '*' }).first())!.n);
    const before = await count();
    for (const [path, body] of [['/templates/welcome', { content: welcome }], ['/templates/welcome/rollback', { version: 1 }], ['/template-preview', { content: welcome }]] as const) {
      expect((await analyst.request('POST', `/bots/${botId}${path}`, body)).status).toBe(403);
    }
    expect((await manager.request('POST', `/bots/${botId}/templates/welcome`, { content: welcome }, { 'x-csrf-token': 'wrong' })).status).toBe(403);
    expect(await count()).toBe(before);
  });
});
