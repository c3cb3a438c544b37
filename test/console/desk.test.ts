import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { addConsoleUser, PASSWORD } from '../../backend/test/support/console';
import { createTelegramBot, startDeliveryBackend, type StandinBot, TelegramStandin } from '../../backend/test/support/delivery';
import { describeNeeding } from '../../backend/test/support/describe-needing';
import { eventually } from '../../backend/test/support/eventually';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { chromiumInstalled, launchChromium } from '../webchat/browser';

/**
 * The Desk page in a real Chromium at 1024 px: a person asks for an operator in the Telegram
 * stand-in, the conversation appears in Waiting without a reload, an operator takes it, answers
 * (the stand-in receives it), notes (it receives nothing), answers with a saved answer and
 * returns it to the bot; two operators taking one conversation at once: one wins, the other is
 * told. UPDATE_SCREENSHOTS=1 writes docs/console-desk.png.
 */
jest.setTimeout(240_000);

const consoleDir = path.resolve(__dirname, '../../console');
const shots = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve(__dirname, '../../docs') : fs.mkdtempSync(path.join(os.tmpdir(), 'desk-shots-'));

async function textOf(locator: Locator, expected: string | RegExp): Promise<void> {
  const deadline = Date.now() + 15_000;
  const matches = (actual: string | null) => (typeof expected === 'string' ? actual === expected : expected.test(actual ?? ''));
  let actual = await locator.textContent();
  while (!matches(actual) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    actual = await locator.textContent();
  }
  expect(actual).toMatch(typeof expected === 'string' ? new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : expected);
}

describeNeeding(chromiumInstalled(), 'chromium is missing: apt-get install chromium (bash .ci/run does)', 'the Desk page in Chromium', () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let browser: Browser;
  let bot: { botId: number; token: string; telegram: StandinBot };
  const problems: string[] = [];
  let chat = 4400;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(consoleDir, 'dist/index.html'))) execFileSync('npx', ['vite', 'build'], { cwd: consoleDir, stdio: 'inherit' });
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin);
    bot = await createTelegramBot(backend, standin);
    backend.ctx.wakeups.wake('telegram');
    await addConsoleUser(backend, 'ann@example.com', 'operator');
    await addConsoleUser(backend, 'bob@example.com', 'operator');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await backend?.close();
    await standin?.close();
    if (process.env.UPDATE_SCREENSHOTS !== '1') fs.rmSync(shots, { recursive: true, force: true });
  });
  afterEach(() => expect(problems.splice(0)).toEqual([]));

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
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    // A CSP refusal or a script error would show here; a 409 shown in the page is expected.
    page.on('console', (message) => void (message.type() === 'error' && !/status of 40[139]/.test(message.text()) && problems.push(message.text())));
    page.on('pageerror', (error) => void problems.push(error.message));
    await page.goto(`${backend.url}/console`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(email).waitFor();
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
    await page.screenshot({ path: path.join(shots, 'console-desk.png'), fullPage: true });

    await page.getByRole('button', { name: 'Return to bot' }).click();
    await textOf(state, 'With the bot');
    await page.getByRole('link', { name: 'Waiting', exact: true }).click();
    await page.getByText('Nobody here.').waitFor();
    await page.context().close();
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
