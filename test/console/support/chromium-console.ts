/**
 * What every Chromium test of the console does before its own steps: the console built, a backend
 * serving it (with the Telegram stand-in when the test delivers), console accounts, one Chromium,
 * pages at 1024 px whose script errors fail the test, and a folder for screenshots
 * (UPDATE_SCREENSHOTS=1 writes them to docs/).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import type { Role } from '../../../backend/src/console/roles';
import { addConsoleUser, PASSWORD } from '../../../backend/test/support/console';
import { createTelegramBot, startDeliveryBackend, TelegramStandin } from '../../../backend/test/support/delivery';
import { describeNeeding } from '../../../backend/test/support/describe-needing';
import type { TestBackend } from '../../../backend/test/support/test-backend';
import { chromiumInstalled, launchChromium } from '../../webchat/browser';

const consoleDir = path.resolve(__dirname, '../../../console');
const docsDir = path.resolve(__dirname, '../../../docs');

/** A suite that needs Chromium: without it the suite fails with the command that installs it. */
export function describeInChromium(name: string, body: () => void): void {
  describeNeeding(chromiumInstalled(), 'chromium is missing: apt-get install chromium (bash .ci/run does)', name, body);
}

/** What serves the console: a backend, and the Telegram stand-in it delivers to when there is one (closed after it). */
export interface ServedConsole {
  backend: TestBackend;
  standin?: TelegramStandin;
}

export type TelegramBot = Awaited<ReturnType<typeof createTelegramBot>>;

/** The Telegram stand-in (limits off), a delivery backend talking to it, and one bot on both. */
export async function startWithTelegram(): Promise<ServedConsole & { standin: TelegramStandin; bot: TelegramBot }> {
  const standin = await TelegramStandin.start({ limits: { enabled: false } });
  const backend = await startDeliveryBackend(standin);
  return { standin, backend, bot: await createTelegramBot(backend, standin) };
}

export interface ChromiumConsoleOptions {
  /** The console accounts to create, email → role (password PASSWORD). */
  accounts: Record<string, Role>;
  /** Names the temporary screenshot folder. */
  shots: string;
  /** HTTP statuses a page may show in its console without failing the test (the refusals the test provokes). */
  shownStatuses?: number[];
  /** More options of each page's browser context (its time zone, downloads). */
  context?: BrowserContextOptions;
}

/** Filled when the hooks have run (as useStandinBackend's). */
export interface ChromiumConsole<S extends ServedConsole> {
  served: S;
  browser: Browser;
  /** A page in a fresh context at 1024 px; its console errors and script errors fail the test. */
  open(): Promise<Page>;
  /** A fresh page logged in as this account, its email shown. */
  logIn(email: string): Promise<Page>;
  /** The path a screenshot of this name goes to. */
  shot(name: string): string;
}

/**
 * Registers the hooks: before all, the console built, `start`'s backend, the accounts and Chromium;
 * after each test, no page problem collected; after all, Chromium, the backend and the stand-in
 * closed in that order (a page still open keeps no stream on a backend closing).
 */
export function useChromiumConsole<S extends ServedConsole>(start: () => Promise<S>, options: ChromiumConsoleOptions): ChromiumConsole<S> {
  const problems: string[] = [];
  const shownStatus = new RegExp(`status of (${(options.shownStatuses ?? [401, 403]).join('|')})`);
  const keepShots = process.env.UPDATE_SCREENSHOTS === '1';
  let shots = docsDir;

  const open = async (): Promise<Page> => {
    const context = await setup.browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB', ...options.context });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    // A CSP refusal (Chart.js styling its canvas, say) or a script error would show here: the page must run under its policy as built.
    page.on('console', (message) => void (message.type() === 'error' && !shownStatus.test(message.text()) && problems.push(message.text())));
    page.on('pageerror', (error) => void problems.push(error.message));
    return page;
  };
  const setup = {
    open,
    logIn: async (email: string) => logInAs(await open(), setup.served.backend, email),
    shot: (name: string) => path.join(shots, name),
  } as ChromiumConsole<S>;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(consoleDir, 'dist/index.html'))) execFileSync('npx', ['vite', 'build'], { cwd: consoleDir, stdio: 'inherit' });
    if (!keepShots) shots = fs.mkdtempSync(path.join(os.tmpdir(), `${options.shots}-shots-`));
    setup.served = await start();
    for (const [email, role] of Object.entries(options.accounts)) await addConsoleUser(setup.served.backend, email, role);
    setup.browser = await launchChromium();
  });
  afterAll(async () => {
    await setup.browser?.close();
    await setup.served?.backend.close();
    await setup.served?.standin?.close();
    if (!keepShots) fs.rmSync(shots, { recursive: true, force: true });
  });
  afterEach(() => expect(problems.splice(0)).toEqual([]));
  return setup;
}

/** Logs this page in through the login form; answers it once the account's email shows. */
async function logInAs(page: Page, backend: TestBackend, email: string): Promise<Page> {
  await page.goto(`${backend.url}/console`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(email).waitFor();
  return page;
}

/** Reads until `done` holds or 15 s pass (the page renders after its API answers, on a loaded machine); answers the last read. */
async function settled<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/** Waits until the locator's text is the expected one (the whole text, or matching), then asserts it. */
export async function textOf(locator: Locator, expected: string | RegExp): Promise<void> {
  const actual = await settled(() => locator.textContent(), (text) => (typeof expected === 'string' ? text === expected : expected.test(text ?? '')));
  if (typeof expected === 'string') expect(actual).toBe(expected);
  else expect(actual).toMatch(expected);
}

/** Waits until the page shows this many, then asserts it. */
export async function toCount(locator: Locator, expected: number): Promise<void> {
  expect(await settled(() => locator.count(), (count) => count === expected)).toBe(expected);
}
