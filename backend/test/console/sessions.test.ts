import crypto from 'node:crypto';
import { addConsoleUser, consoleLogin, loginRequest, PASSWORD } from '../support/console';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`console accounts and sessions (${dialect})`, () => {
  let backend: TestBackend;
  const clock = new ManualClock();

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { CONSOLE_SESSION_HOURS: '2', CONSOLE_LOGIN_ACCOUNT_ATTEMPTS: '5', CONSOLE_LOGIN_ADDRESS_ATTEMPTS: '1000' } });
    await addConsoleUser(backend, 'anna@example.com', 'admin');
    await addConsoleUser(backend, 'boris@example.com', 'analyst');
  });
  afterAll(() => backend.close());

  it('serves the console and its API under a strict Content-Security-Policy, never in a frame', async () => {
    for (const path of ['/console', '/console/api/session']) {
      const res = await backend.request('GET', path);
      const policy = res.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("default-src 'self'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("style-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).not.toContain('unsafe-eval');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('logs in with an httpOnly SameSite=Strict cookie whose id is stored only as its SHA-256', async () => {
    const client = await consoleLogin(backend, 'Anna@Example.com');
    const setCookie = client.login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^metabot_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Expires=/);
    expect(client.login.body).toMatchObject({ success: true, user: { email: 'anna@example.com', role: 'admin' }, csrfToken: expect.any(String) });
    expect(client.login.body.user.password_hash).toBeUndefined();
    const sessionId = client.cookie.split('=')[1];
    const rows = await backend.ctx.db('console_sessions').select('id_hash');
    expect(rows.map((r) => r.id_hash)).toContain(crypto.createHash('sha256').update(sessionId).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(sessionId);
    expect((await client.request('GET', '/session')).body.user.email).toBe('anna@example.com');
  });

  it('answers a wrong password, an unknown account and a disabled account alike', async () => {
    await addConsoleUser(backend, 'gone@example.com', 'operator');
    await backend.request('GET', '/healthz');
    const { disableConsoleUser } = await import('../../src/console/users');
    await disableConsoleUser(backend.ctx, 'gone@example.com');
    const answers = await Promise.all([
      loginRequest(backend, 'boris@example.com', 'not the password at all'),
      loginRequest(backend, 'nobody@example.com', PASSWORD),
      loginRequest(backend, 'gone@example.com', PASSWORD),
    ]);
    expect(answers.map((a) => [a.status, a.body.message, a.headers.get('set-cookie')])).toEqual([
      [401, 'Wrong email or password', null],
      [401, 'Wrong email or password', null],
      [401, 'Wrong email or password', null],
    ]);
  });

  it('refuses an unsafe request without the CSRF token or from another origin, and accepts it with both', async () => {
    const client = await consoleLogin(backend, 'boris@example.com');
    expect((await client.request('POST', '/logout', undefined, { 'x-csrf-token': '' })).status).toBe(403);
    expect((await client.request('POST', '/logout', undefined, { 'x-csrf-token': 'x'.repeat(43) })).status).toBe(403);
    expect((await client.request('POST', '/logout', undefined, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await client.request('POST', '/logout', undefined, { origin: '' })).status).toBe(403);
    expect((await client.request('POST', '/logout', undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await loginRequest(backend, 'boris@example.com', PASSWORD, { origin: 'https://evil.example' })).status).toBe(403);
    // Another session's token is not this session's.
    const other = await consoleLogin(backend, 'boris@example.com');
    expect((await client.request('POST', '/logout', undefined, { 'x-csrf-token': other.csrfToken })).status).toBe(403);
    expect((await client.request('GET', '/session')).status).toBe(200);
    expect((await client.request('POST', '/logout')).status).toBe(200);
    expect((await client.request('GET', '/session')).status).toBe(401);
    expect((await other.request('GET', '/session')).status).toBe(200);
  });

  it('logs out everywhere: every session of the account ends, other accounts keep theirs', async () => {
    const [first, second, someoneElse] = [await consoleLogin(backend, 'anna@example.com'), await consoleLogin(backend, 'anna@example.com'), await consoleLogin(backend, 'boris@example.com')];
    const res = await first.request('POST', '/logout-everywhere');
    expect(res.status).toBe(200);
    expect(res.body.sessionsEnded).toBeGreaterThanOrEqual(2);
    expect((await first.request('GET', '/session')).status).toBe(401);
    expect((await second.request('GET', '/session')).status).toBe(401);
    expect((await someoneElse.request('GET', '/session')).status).toBe(200);
  });

  it('ends a session when it expires and when the account is disabled', async () => {
    const client = await consoleLogin(backend, 'boris@example.com');
    clock.advance(2 * 3_600_000 - 1000);
    expect((await client.request('GET', '/session')).status).toBe(200);
    clock.advance(1000);
    expect((await client.request('GET', '/session')).status).toBe(401);
    await addConsoleUser(backend, 'carla@example.com', 'architect');
    const carla = await consoleLogin(backend, 'carla@example.com');
    const anna = await consoleLogin(backend, 'anna@example.com');
    expect((await anna.request('POST', '/users/disable', { email: 'carla@example.com' })).status).toBe(200);
    expect((await carla.request('GET', '/session')).status).toBe(401);
    expect((await loginRequest(backend, 'carla@example.com', PASSWORD)).status).toBe(401);
  });

  it('takes no API token, and its session opens nothing under /api/v1', async () => {
    const { token } = await backend.createBot();
    expect((await backend.request('GET', '/console/api/session', { token })).status).toBe(401);
    expect((await backend.request('GET', '/console/api/bots', { token })).status).toBe(401);
    const client = await consoleLogin(backend, 'anna@example.com');
    expect((await backend.request('GET', '/api/v1/bots/1', { headers: { cookie: client.cookie } })).status).toBe(401);
  });

  it('creates accounts only with a role it knows and a password of 12 characters or more, one per email', async () => {
    const anna = await consoleLogin(backend, 'anna@example.com');
    expect((await anna.request('POST', '/users', { email: 'dan@example.com', password: 'short', role: 'analyst' })).status).toBe(422);
    expect((await anna.request('POST', '/users', { email: 'dan@example.com', password: PASSWORD, role: 'root' })).status).toBe(422);
    expect((await anna.request('POST', '/users', { email: 'dan@example.com', password: PASSWORD, role: 'analyst' })).status).toBe(201);
    expect((await anna.request('POST', '/users', { email: 'DAN@example.com', password: PASSWORD, role: 'admin' })).status).toBe(409);
  });
});
