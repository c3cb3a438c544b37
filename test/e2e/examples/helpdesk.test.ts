/**
 * The helpdesk example (examples/workflows/helpdesk.json) end to end: the workflow imported into a
 * real n8n, people in the Telegram stand-in, operators in the console's Desk page in a real
 * Chromium and in the Telegram staff group. The bot answers its FAQ; anything else is handed to
 * an operator, who answers while the workflow hears nothing; once the operator returns the dialog
 * the workflow greets the person back and answers the FAQ again.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { addConsoleUser, PASSWORD } from '../../../backend/test/support/console';
import { describeNeeding } from '../../../backend/test/support/describe-needing';
import { chromiumInstalled, launchChromium } from '../../webchat/browser';
import { describeWithN8n } from '../../nodes/support/n8n-runtime';
import { waitUntil } from '../support/n8n-server';
import { type ExampleStack, startExampleStack } from './support/example-stack';

jest.setTimeout(180_000);

const consoleDir = path.resolve(__dirname, '../../../console');
const OPERATOR = 'ann@example.com';
const ANN_IN_TELEGRAM = 7001;

const WELCOME = 'Hi Dora! I can tell you about our opening hours, delivery, returns and payment.';
const HOURS = 'We are open Monday to Friday, 9:00 to 18:00.';
const DELIVERY = 'Delivery takes 2 to 4 working days; you get a tracking link by e-mail.';
const PAYMENT = 'We take cards, Apple Pay and Google Pay; the card is charged when the order ships.';
const PASSED_ON = 'I cannot answer that myself, so I have passed your question to a colleague.';
const welcomeBack = (name: string) => `Welcome back, ${name}! I am the bot again`;

/** Waits (a loaded machine may take long) until the locator's text matches. */
async function textOf(locator: Locator, expected: RegExp): Promise<void> {
  await waitUntil(async () => expected.test((await locator.textContent()) ?? ''), 30_000, `text ${expected}`);
}

describeNeeding(chromiumInstalled(), 'chromium is missing: apt-get install chromium (bash .ci/run does)', 'the helpdesk example', () => {
  describeWithN8n('the helpdesk example in a real n8n, with operators on the desk and in the staff group', () => {
    let stack: ExampleStack;
    let browser: Browser;
    let group: number;
    const problems: string[] = [];

    beforeAll(async () => {
      if (!fs.existsSync(path.join(consoleDir, 'dist/index.html'))) execFileSync('npx', ['vite', 'build'], { cwd: consoleDir, stdio: 'inherit' });
      // The workflow listens to no endpoint: the bot needs no map of its own.
      stack = await startExampleStack({ map: { name: 'Helpdesk', endpoints: [] }, workflows: { helpdesk: {} } });
      await addConsoleUser(stack.backend, OPERATOR, 'operator');
      group = stack.telegram.createGroup({ title: 'Support', members: [ANN_IN_TELEGRAM] });
      const staffGroup = await stack.api('PUT', '/telegram/staff-group', { chatId: String(group), operators: [{ telegramUserId: ANN_IN_TELEGRAM, name: OPERATOR }] });
      expect(staffGroup.status).toBe(200);
      browser = await launchChromium();
    }, 600_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    }, 60_000);
    afterEach(() => expect(problems.splice(0)).toEqual([]));

    const texts = (chatId: number) => stack.telegram.messagesTo(chatId).map((m) => m.text ?? '');
    /** Resolves once the person's chat has a message starting with `start`, after the first `after` messages. */
    const untilSeen = (chatId: number, start: string, after = 0) =>
      waitUntil(async () => texts(chatId).slice(after).some((t) => t.startsWith(start)), 60_000, `chat ${chatId}: "${start}"`);
    const conversationOf = async (leadId: string) => (await stack.api('GET', `/leads/${leadId}/conversation`)).body.conversation;
    const leadOf = async (chatId: number) => (await stack.api('GET', `/leads?chatId=${chatId}`)).body.leads[0].id as string;

    /** The person starts the bot, asks an FAQ (answered), then something the bot does not know (handed over). */
    async function personHandedOver(chatId: number, name: string, question: string): Promise<string> {
      stack.telegram.setUser(chatId, { first_name: name });
      stack.telegram.userStarts(chatId);
      await untilSeen(chatId, `Hi ${name}! I can tell you about`);
      stack.telegram.userSends(chatId, 'What are your opening hours?');
      await untilSeen(chatId, HOURS);
      stack.telegram.userSends(chatId, question);
      await untilSeen(chatId, PASSED_ON);
      const leadId = await leadOf(chatId);
      expect(await conversationOf(leadId)).toMatchObject({ state: 'waiting', handover: expect.objectContaining({ reason: question, team: 'support' }) });
      return leadId;
    }

    /** A message the person wrote while a human had the dialog: kept for the operator, announced to no workflow. */
    async function keptForOperator(leadId: string, text: string): Promise<void> {
      const events = await stack.backend.ctx.db('events').where({ lead_id: leadId, type: 'message.received' });
      const kept = events.filter((e) => String(e.payload).includes(JSON.stringify(text)));
      expect(kept.map((e) => e.audience)).toEqual(['operator']);
    }

    async function logIn(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB' });
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      // The page asks for the session before the login: that one 401 is expected.
      page.on('console', (message) => void (message.type() === 'error' && !/status of 401/.test(message.text()) && problems.push(message.text())));
      page.on('pageerror', (error) => void problems.push(error.message));
      await page.goto(`${stack.backend.url}/console`);
      await page.getByLabel('Email').fill(OPERATOR);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText(OPERATOR).waitFor();
      await page.getByRole('link', { name: 'Desk' }).click();
      await page.getByRole('heading', { name: 'Desk' }).waitFor();
      return page;
    }

    it('on the desk: FAQ answered, the rest reaches an operator live and back, then the bot greets and answers again', async () => {
      const chatId = 6101;
      const page = await logIn();
      await page.getByText('Nobody here.').waitFor();
      const question = 'My parcel arrived broken, can I get a new one?';
      const leadId = await personHandedOver(chatId, 'Dora', question);
      expect(texts(chatId).slice(0, 2)).toEqual([expect.stringMatching(new RegExp(`^${WELCOME}`)), HOURS]);

      // Waiting, without a reload: the desk's stream tells the page.
      const entry = page.locator(`.queue li[data-lead="${leadId}"]`);
      await entry.waitFor();
      await entry.getByRole('link').click();
      const state = page.locator('.conversation-state');
      await textOf(state, /^Waiting for an operator/);
      const history = page.getByRole('list', { name: 'History' });
      await page.getByRole('button', { name: 'Take' }).click();
      await textOf(state, /^With you/);

      const reply = page.getByRole('form', { name: 'Answer the person' });
      await reply.getByLabel('Reply', { exact: true }).fill('Sorry about that! A new one leaves today.');
      await page.getByRole('button', { name: 'Send' }).click();
      await untilSeen(chatId, 'Sorry about that! A new one leaves today.');

      // The person answers with a word the FAQ knows: it reaches the operator live, not the workflow.
      const seenBefore = texts(chatId).length;
      stack.telegram.userSends(chatId, 'Thanks! When will the delivery arrive?');
      await textOf(history.locator('[data-kind=in] .entry-text').last(), /^Thanks! When will the delivery arrive\?$/);
      await keptForOperator(leadId, 'Thanks! When will the delivery arrive?');

      await page.getByRole('button', { name: 'Return to bot' }).click();
      await textOf(state, /^With the bot/);
      await untilSeen(chatId, welcomeBack('Dora'), seenBefore);
      // The only message since the operator's reply is the greeting: the workflow never saw the question asked meanwhile.
      expect(texts(chatId).slice(seenBefore)).toEqual([expect.stringMatching(new RegExp(`^${welcomeBack('Dora')}`))]);

      stack.telegram.userSends(chatId, 'How long does delivery take?');
      await untilSeen(chatId, DELIVERY, seenBefore);
      expect(texts(chatId).slice(seenBefore)).toEqual([expect.stringMatching(new RegExp(`^${welcomeBack('Dora')}`)), DELIVERY]);
      expect(await conversationOf(leadId)).toMatchObject({ state: 'bot' });
      await page.context().close();
    });

    it('in the staff group: the operator answers in the person\'s topic and /return gives the dialog back to the workflow', async () => {
      const chatId = 6102;
      const leadId = await personHandedOver(chatId, 'Egor', 'Can I change the address of my order?');
      const topic = await waitUntil(async () => (await stack.backend.ctx.db('staff_topics').where({ bot_id: stack.botId, person_key: `lead:${leadId}`, state: 'open' }).first()) !== undefined, 60_000, 'the person\'s topic')
        .then(() => stack.backend.ctx.db('staff_topics').where({ bot_id: stack.botId, person_key: `lead:${leadId}` }).first());
      const threadId = Number(topic.thread_id);
      const topicTexts = () => stack.telegram.messagesTo(group).filter((m) => m.messageThreadId === threadId).map((m) => m.text ?? '');
      await waitUntil(async () => topicTexts().some((t) => t.startsWith('Handed over to operators') && t.includes('support')), 60_000, 'the handover in the topic');

      stack.telegram.userWritesInGroup(group, ANN_IN_TELEGRAM, 'Yes: write me the new address.', threadId);
      await untilSeen(chatId, 'Yes: write me the new address.');
      const seenBefore = texts(chatId).length;
      stack.telegram.userSends(chatId, 'Lenina 5, and I pay on delivery');
      await waitUntil(async () => topicTexts().includes('telegram: Lenina 5, and I pay on delivery'), 60_000, 'the answer in the topic');
      await keptForOperator(leadId, 'Lenina 5, and I pay on delivery');

      stack.telegram.userWritesInGroup(group, ANN_IN_TELEGRAM, '/return', threadId);
      await untilSeen(chatId, welcomeBack('Egor'), seenBefore);
      expect(texts(chatId).slice(seenBefore)).toEqual([expect.stringMatching(new RegExp(`^${welcomeBack('Egor')}`))]);
      expect(await conversationOf(leadId)).toMatchObject({ state: 'bot' });
      stack.telegram.userSends(chatId, 'Do you take Apple Pay?');
      await untilSeen(chatId, PAYMENT, seenBefore);
      expect(texts(chatId).slice(seenBefore)).toEqual([expect.stringMatching(new RegExp(`^${welcomeBack('Egor')}`)), PAYMENT]);
    });
  });
});
