import { type SeededLead, seedLinkedLeads, type StandinBot, waitUntilDone } from '../../backend/test/support/delivery';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeInChromium, startWithTelegram, textOf, useChromiumConsole } from './support/chromium-console';

/**
 * The template library's pages in a real Chromium at 1024 px: a manager writes a template with the
 * live preview rendering it for a seeded lead, saves a second version, compares, rolls back, and a
 * send by the template's name then delivers the rolled-back text through the Telegram stand-in. An
 * analyst reads but cannot save. UPDATE_SCREENSHOTS=1 writes docs/console-templates.png.
 */
jest.setTimeout(240_000);

const FIRST = 'Hi [[ lead.firstName ]], your [[ params.item ]] is ready';
const SECOND = 'Hello [[ lead.firstName ]]!\n[% if lead.attributes.tier == "gold" %]Gold members ship free.[% endif %]';

describeInChromium('the template library pages in Chromium', () => {
  const ui = useChromiumConsole(startWithTelegram, { accounts: { 'manager@example.com': 'manager', 'analyst@example.com': 'analyst' }, shots: 'templates' });
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let lead: SeededLead;

  beforeAll(async () => {
    ({ backend } = ui.served);
    ({ botId, token, telegram } = ui.served.bot);
    // Chat 8201 is odd: the seeded lead is a gold member (seedLinkedLeads), named Name8201.
    [lead] = await seedLinkedLeads(backend.ctx.db, botId, [8201]);
  });

  it('a manager writes a template with the live preview, saves a second version, compares, rolls back, and the next send delivers the rolled-back text', async () => {
    const page = await ui.logIn('manager@example.com');
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Message templates' }).waitFor();
    await page.getByText('This bot has no templates yet.').waitFor();
    await page.getByRole('link', { name: 'New template' }).click();

    await page.getByLabel('Name', { exact: true }).fill('order-ready');
    await page.getByLabel('Preview for').selectOption('lead');
    await page.getByLabel('Lead ID', { exact: true }).fill(lead.leadId);
    const rendered = page.getByLabel('Rendered text');
    // Typed key by key: the preview follows the typing (debounced), the unclosed placeholder is an error with its place on the way.
    await page.getByLabel('Text', { exact: true }).pressSequentially('Hi [[ lead.firstName', { delay: 5 });
    await textOf(page.getByRole('list', { name: 'Template errors' }), /^Text, line 1, column 4: .*not closed/);
    await page.getByLabel('Text', { exact: true }).fill(FIRST);
    await textOf(rendered, 'Hi Name8201, your  is ready');
    await textOf(page.getByRole('list', { name: 'Unknown placeholders' }), 'Text, line 1, column 34: "params.item" has no value for this person');
    await page.getByLabel('Parameters (JSON)').fill('{"item": "parcel"}');
    await textOf(rendered, 'Hi Name8201, your parcel is ready');
    expect(await page.getByRole('list', { name: 'Unknown placeholders' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Save template' }).click();

    await page.getByRole('heading', { name: 'Template order-ready' }).waitFor();
    await page.getByLabel('Current content').waitFor();
    expect(JSON.parse((await page.getByLabel('Current content').textContent())!)).toEqual({ text: FIRST });
    expect(await page.locator('tr[data-version]').count()).toBe(1);
    await textOf(page.locator('tr[data-version="1"] td').nth(3), 'manager@example.com');

    // Version 2: a new text with a condition, and a button; the preview takes the lead's tier.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit order-ready' }).waitFor();
    await page.getByLabel('Text', { exact: true }).fill(SECOND);
    await page.getByRole('button', { name: 'Add button' }).click();
    await page.getByLabel('Button 1 label').fill('Track it');
    await page.getByLabel('Kind').selectOption('url');
    await page.getByLabel('URL', { exact: true }).fill('https://example.com/track');
    // A Russian variant with its button label; sample values in Russian pick it.
    await page.getByRole('button', { name: 'Add language' }).click();
    await page.getByLabel('Language code').fill('ru');
    await page.getByLabel('Text in this language').fill('Привет, [[ lead.firstName ]]!');
    await page.getByLabel('Button labels in this language (one per line)').fill('Отследить');
    await page.getByLabel('Sample first name').fill('Анна');
    await page.getByLabel('Sample language').fill('ru');
    await textOf(rendered, 'Привет, Анна!');
    await textOf(page.locator('[data-field=language]'), 'Language variant "ru"');
    await textOf(page.locator('.rendered-button'), 'Отследить');
    // The seeded lead has no language: the default text, with the gold tier's line.
    await page.getByLabel('Preview for').selectOption('lead');
    await page.getByLabel('Lead ID', { exact: true }).fill(lead.leadId);
    await textOf(rendered, 'Hello Name8201!\nGold members ship free.');
    await textOf(page.locator('.rendered-button'), 'Track it');
    await textOf(page.locator('[data-field=language]'), 'Default text');
    await page.getByLabel('Comment').fill('Warmer, with tracking');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);
    // The preview is sticky: from the top of the page it shows beside the text it renders.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: ui.shot('console-templates.png'), fullPage: true });
    await page.getByRole('button', { name: 'Save new version' }).click();

    await page.getByRole('heading', { name: 'Template order-ready' }).waitFor();
    await textOf(page.locator('tr[data-version="2"] td').nth(4), 'Warmer, with tracking');
    await page.getByRole('button', { name: 'Compare 1 and 2' }).click();
    await page.getByRole('heading', { name: 'order-ready: version 1 → version 2' }).waitFor();
    const changes = page.getByRole('list', { name: 'Changes' }).locator('li');
    expect((await changes.allTextContents()).map((c) => c.split(':')[0]).sort()).toEqual(['buttons', 'text', 'variants']);
    expect(await page.getByLabel('version 2', { exact: true }).locator('.differs').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Track it')]));

    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await page.getByRole('dialog').getByLabel('Comment').fill('Back to the short one');
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('heading', { name: 'order-ready: version 1 → version 3' }).waitFor();
    await textOf(page.locator('[data-field=changes]'), '0 changed');
    await page.context().close();

    // A send by the library's name after the rollback: the stand-in receives version 1's text.
    const sent = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.leadId], template: { name: 'order-ready' }, params: { item: 'parcel' } } });
    expect(sent.status).toBe(202);
    expect((await waitUntilDone(backend, botId, token, sent.body.messageId)).counts).toMatchObject({ sent: 1 });
    const delivered = telegram.messagesTo(lead.chatId);
    expect(delivered.map((m) => m.text)).toEqual(['Hi Name8201, your parcel is ready']);
    expect(delivered[0].replyMarkup).toBeUndefined();
  });

  it('saving in the editor keeps what a template written through the API holds: rows, parse mode, a variant\'s own buttons', async () => {
    const content = {
      text: '<b>Sale</b> for [[ lead.firstName ]]',
      parseMode: 'HTML',
      buttons: [[{ text: 'Yes', data: 'yes' }, { text: 'No', data: 'no' }], [{ text: 'Shop', url: 'https://example.com/shop' }]],
      variants: { ru: { text: 'Распродажа', buttons: [[{ text: 'Магазин', url: 'https://example.com/ru' }]] }, de: { text: 'Ausverkauf', buttons: [[{ text: 'Ja', data: 'yes' }, { text: 'Nein', data: 'no' }], [{ text: 'Laden', url: 'https://example.com/shop' }]] } },
    };
    expect((await backend.request('POST', `/api/v1/bots/${botId}/templates/sale`, { token, body: { content } })).status).toBe(201);
    const page = await ui.logIn('manager@example.com');
    await page.goto(`${backend.url}/console#/bots/${botId}/templates/sale/edit`);
    await page.getByText('This language has buttons of its own (Магазин), kept as they are.').waitFor();
    await textOf(page.getByLabel('Rendered text'), '<b>Sale</b> for Ann');
    await page.getByLabel('Comment').fill('No change');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.locator('tr[data-version="2"]').waitFor();
    expect((await backend.request('GET', `/api/v1/bots/${botId}/templates/sale`, { token })).body.template).toMatchObject({ version: 2, comment: 'No change', content });
    await page.context().close();
  });

  it('an analyst reads the library and its history but has no Save, no Edit, no rollback, and the routes answer 403', async () => {
    const page = await ui.logIn('analyst@example.com');
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('link', { name: 'order-ready' }).click();
    await page.locator('tr[data-version="1"]').waitFor();
    expect(await page.locator('tr[data-version]').count()).toBe(3);
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Roll back/ }).count()).toBe(0);
    await page.goto(`${backend.url}/console#/bots/${botId}/templates/order-ready/edit`);
    await page.getByRole('heading', { name: 'Edit order-ready' }).waitFor();
    expect(await page.getByRole('button', { name: /Save/ }).count()).toBe(0);
    await page.goto(`${backend.url}/console#/bots/${botId}/templates/new`);
    await page.getByText('Nothing here.').waitFor();

    const statuses = await page.evaluate(async (bot) => {
      const { csrfToken } = (await (await fetch('/console/api/session')).json()) as { csrfToken: string };
      const post = async (route: string, body: unknown) => (await fetch(`/console/api/bots/${bot}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify(body) })).status;
      return [await post('/templates/order-ready', { content: { text: 'changed by the analyst' } }), await post('/templates/order-ready/rollback', { version: 2 }), await post('/template-preview', { content: { text: 'x' } })];
    }, botId);
    expect(statuses).toEqual([403, 403, 403]);
    expect(Number((await backend.ctx.db('message_templates').where({ bot_id: botId, name: 'order-ready' }).count({ n: '*' }).first())!.n)).toBe(3);
    await page.context().close();
  });
});
