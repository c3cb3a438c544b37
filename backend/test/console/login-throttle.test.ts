import { addConsoleUser, loginRequest, PASSWORD } from '../support/console';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

/** Concurrent guesses: the attempt is counted before the password is checked, in one statement, on both databases. */
describe(`console login throttling (${dialect})`, () => {
  let backend: TestBackend;
  const clock = new ManualClock();

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { CONSOLE_LOGIN_ACCOUNT_ATTEMPTS: '5', CONSOLE_LOGIN_ADDRESS_ATTEMPTS: '40', CONSOLE_LOGIN_WINDOW_MINUTES: '15' } });
    await addConsoleUser(backend, 'anna@example.com', 'admin');
  });
  afterAll(() => backend.close());

  const statuses = (answers: Array<{ status: number }>) => answers.map((a) => a.status).reduce<Record<number, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {});

  it('lets exactly the account limit of 30 concurrent wrong guesses be checked, then refuses even the right password until the window ends', async () => {
    const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => loginRequest(backend, 'anna@example.com', `wrong password ${i}`)));
    expect(statuses(guesses)).toEqual({ 401: 5, 429: 25 });
    const refused = guesses.find((a) => a.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await loginRequest(backend, 'anna@example.com', PASSWORD)).status).toBe(429);
    // An unknown account is throttled the same way, so the throttle does not tell which exist.
    const unknown = await Promise.all(Array.from({ length: 6 }, () => loginRequest(backend, 'nobody@example.com', PASSWORD)));
    expect(statuses(unknown)).toEqual({ 401: 5, 429: 1 });
    clock.advance(15 * 60_000);
    expect((await loginRequest(backend, 'anna@example.com', PASSWORD)).status).toBe(200);
  });

  it('limits one address across accounts, and a successful login gives its attempt back', async () => {
    clock.advance(15 * 60_000);
    const ok = await loginRequest(backend, 'anna@example.com', PASSWORD);
    expect(ok.status).toBe(200);
    // Every test request comes from 127.0.0.1; the first test's 37 attempts were in the window that ended.
    const spray = await Promise.all(Array.from({ length: 50 }, (_, i) => loginRequest(backend, `user${i}@example.com`, PASSWORD)));
    expect(statuses(spray)).toEqual({ 401: 40, 429: 10 });
    const row = await backend.ctx.db('console_login_throttle').where('key', 'address:127.0.0.1').first();
    expect(row.attempts).toBe(50);
  });
});
