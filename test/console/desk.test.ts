import type { Page } from 'playwright-core';
import { eventually } from '../../backend/test/support/eventually';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeInChromium, startWithTelegram, type TelegramBot, textOf, useChromiumConsole } from './support/chromium-console';

/**
 * The Desk page in a real Chromium at 1024 px: a person asks for an operator in the Telegram
 * stand-in, the conversation appears in Waiting without a reload, an operator takes it, answers
 * (the stand-in receives it), notes (it receives nothing), answers with a saved answer and
 * returns it to the bot; two operators taking one conversation at once: one wins, the other is
 * told. UPDATE_SCREENSHOTS=1 writes docs/console-desk.png.
 */
jest.setTimeout(240_000);

describeInChromium('the Desk page in Chromium', () => {
  // A 409 shown in the page is expected: the operator who lost a take is told.
  const ui = useChromiumConsole(startWithTelegram, { accounts: { 'ann@example.com': 'operator', 'bob@example.com': 'operator' }, shots: 'desk', shownStatuses: [401, 403, 409] });
  let backend: TestBackend;
  let bot: TelegramBot;
  let chat = 4400;
  beforeAll(() => {
    ({ backend, bot } = ui.served);
    backend.ctx.wakeups.wake('telegram');
  });

  const texts = (chatId: number) => bot.telegram.messagesTo(chatId).map((m) => m.text);

  /** A person writes in Telegram and asks for an operator (the handover keyword); answers their chat and lead. */
  async function personAsksForOperator(first: string): Promise<{ chatId: number; leadId: string }> {
    const chatId = ++chat;
    bot.telegram.userSends(chatId, first);
    const lead = await eventually(async () => (await backend.request('GET', `/api/v1/bots/${bot.botId}/leads?chatId=${chatId}`, { token: bot.token })).body.leads?.[0], 20_000);
    bot.telegram.userSends(chatId, 'operator');
    // The keyword's reply: the backend has handed the conversation over.
    await eventually(() => texts(chatId).length === 1, 20_000);
    return { chatId, leadId: lead.id };
  }

  async function logIn(email: string): Promise<Page> {
    const page = await ui.logIn(email);
    await page.getByRole('link', { name: 'Desk' }).click();
    await page.getByRole('heading', { name: 'Desk' }).waitFor();
    return page;
  }

  it('shows a handed-over person in Waiting live; the operator takes, answers, notes, uses a saved answer and returns to the bot', async () => {
    const page = await logIn('ann@example.com');
    await page.getByText('Nobody here.').waitFor();
    const { chatId, leadId } = await personAsksForOperator('hello, my parcel is late');

    // No reload: the stream tells the page, which reads the queue again.
    const entry = page.locator(`.queue li[data-lead="${leadId}"]`);
    await entry.waitFor();
    const timer = entry.locator('.queue-waited time');
    const before = await timer.textContent();
    await textOf(timer, new RegExp(`^(?!${before}$)\\d+:\\d\\d$`));

    await entry.getByRole('link').click();
    const state = page.locator('.conversation-state');
    await textOf(state, /^Waiting for an operator/);
    const history = page.getByRole('list', { name: 'History' });
    await textOf(history.locator('[data-kind=in] .entry-text').last(), 'operator');
    await page.getByRole('button', { name: 'Take' }).click();
    await textOf(state, /^With you/);

    const reply = page.getByRole('form', { name: 'Answer the person' });
    await reply.getByLabel('Reply', { exact: true }).fill('Hello, Ann here. Let me look.');
    await reply.getByLabel('Quick replies', { exact: true }).fill('Thanks, Later');
    await page.getByRole('button', { name: 'Send' }).click();
    const answered = await eventually(() => bot.telegram.messagesTo(chatId).find((m) => m.text === 'Hello, Ann here. Let me look.'), 20_000);
    expect(JSON.stringify(answered.replyMarkup)).toContain('Later');
    await textOf(history.locator('[data-kind=out] .entry-text').last(), 'Hello, Ann here. Let me look.');

    await page.getByLabel('Internal note', { exact: true }).fill('Parcel 42 is stuck at the depot');
    await page.getByRole('button', { name: 'Add note' }).click();
    await textOf(history.locator('[data-kind=note] .entry-text'), 'Parcel 42 is stuck at the depot');
    await textOf(history.locator('[data-kind=note] .entry-who'), 'Note · ann@example.com');

    // A saved answer made in the page, picked in the reply form, sent from the keyboard.
    const answers = page.getByRole('form', { name: 'New saved answer' });
    await answers.getByLabel('Title').fill('Depot');
    await answers.getByLabel('Text').fill('Your parcel is on its way from the depot.');
    await answers.getByRole('button', { name: 'Add answer' }).click();
    await page.getByRole('table', { name: 'Saved answers' }).locator('tr[data-title=Depot]').waitFor();
    await reply.getByLabel('Saved answer', { exact: true }).selectOption({ label: 'Depot' });
    expect(await reply.getByLabel('Reply', { exact: true }).inputValue()).toBe('Your parcel is on its way from the depot.');
    await reply.getByLabel('Reply', { exact: true }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await eventually(() => texts(chatId).includes('Your parcel is on its way from the depot.'), 20_000);

    // The person answers: it appears without a reload; the note never reached them.
    bot.telegram.userSends(chatId, 'Great, thank you');
    await textOf(history.locator('[data-kind=in] .entry-text').last(), 'Great, thank you');
    expect(texts(chatId)).toEqual([expect.any(String), 'Hello, Ann here. Let me look.', 'Your parcel is on its way from the depot.']);
    await page.getByRole('link', { name: 'Mine', exact: true }).click();
    await page.locator(`.queue li.selected[data-lead="${leadId}"]`).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: ui.shot('console-desk.png'), fullPage: true });

    await page.getByRole('button', { name: 'Return to bot' }).click();
    await textOf(state, 'With the bot');
    await page.getByRole('link', { name: 'Waiting', exact: true }).click();
    await page.getByText('Nobody here.').waitFor();
    await page.context().close();
  });

  it('tells a desk page that one login holds too many desk streams; closing another page and reloading makes it live again', async () => {
    const first = await logIn('bob@example.com');
    const pages = [first];
    // Every page of a browser context shares its login: CONSOLE_STREAMS_PER_SESSION (4) pages hold the streams.
    while (pages.length < 5) {
      const page = await first.context().newPage();
      await page.goto(first.url());
      await page.getByRole('heading', { name: 'Desk' }).waitFor();
      pages.push(page);
    }
    const [, second, , , fifth] = pages;
    await textOf(fifth.locator('[data-field=live]'), 'Live updates are off: this login has too many desk pages open, or it has ended. Close another desk page, then reload this one.');
    expect(await Promise.all(pages.slice(0, 4).map((page) => page.locator('[data-field=live]').count()))).toEqual([0, 0, 0, 0]);

    await second.close();
    await fifth.reload();
    await fifth.getByRole('heading', { name: 'Desk' }).waitFor();
    const { leadId } = await personAsksForOperator('is anyone there?');
    await fifth.locator(`.queue li[data-lead="${leadId}"]`).waitFor();
    expect(await fifth.locator('[data-field=live]').count()).toBe(0);
    await first.context().close();
  });

  it('lets one of two operators taking the same conversation at once win; the other is told', async () => {
    const [ann, bob] = [await logIn('ann@example.com'), await logIn('bob@example.com')];
    const { leadId } = await personAsksForOperator('I need help with a refund');
    for (const page of [ann, bob]) {
      const entry = page.locator(`.queue li[data-lead="${leadId}"]`);
      await entry.waitFor();
      await entry.getByRole('link').click();
      await page.getByRole('button', { name: 'Take' }).waitFor();
    }
    await Promise.all([ann.getByRole('button', { name: 'Take' }).click(), bob.getByRole('button', { name: 'Take' }).click()]);

    const outcome = async (page: Page) => {
      const alert = page.locator('.conversation [role=alert]');
      return eventually(async () => {
        if ((await alert.count()) > 0) return `lost: ${await alert.textContent()}`;
        const state = await page.locator('.conversation-state').textContent();
        return state?.startsWith('With you') ? 'won' : undefined;
      }, 15_000);
    };
    const results = [await outcome(ann), await outcome(bob)];
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    const lost = results.find((r) => r !== 'won')!;
    expect(lost).toMatch(/^lost: Another operator took this conversation first\./);
    // The loser's page shows who has it now, and offers no reply form.
    const loser = results[0] === 'won' ? bob : ann;
    await textOf(loser.locator('.conversation-state'), /^With (ann|bob)@example\.com/);
    expect(await loser.getByRole('form', { name: 'Answer the person' }).count()).toBe(0);
    await ann.context().close();
    await bob.context().close();
  });
});
