import { Writable } from 'node:stream';
import { createToken } from '../../src/bots/tokens';
import { ensureLead } from '../../src/identity/leads';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

/** Every line the backend logs, as one string. */
function logCapture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => void (chunks.push(String(chunk)), done()) });
  return { stream, text: () => chunks.join('') };
}

describe(`verified linking with a one-time code (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const clock = new ManualClock();
  const log = logCapture();
  let chat = 0;
  let user = 0;
  const api = (method: string, path: string, body?: unknown, auth = token) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token: auth, body });
  const newLead = () => ensureLead(backend.ctx.db, clock, { botId, channel: 'telegram', chatId: `v${++chat}`, profile: { firstName: 'Vera' } });
  const newUser = () => `crm-${++user}`;
  const start = (userId: string) => api('POST', '/verifications', { userId });
  const verify = (userId: string, leadId: string, code: string) => api('POST', '/verifications/verify', { userId, leadId, code });
  /** A code that is not `code`. */
  const wrongFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { LOG_LEVEL: 'debug' }, logDestination: log.stream });
    ({ botId } = await backend.createBot());
    // What a registration workflow's credential needs: the verification scope alone.
    ({ token } = await createToken(backend.ctx, { botId, scopes: ['verification'] }));
  });
  afterAll(() => backend.close());

  it('starts a 6-digit code, stores only its hash, and links the lead on the right code', async () => {
    const userId = newUser();
    const lead = await newLead();
    const started = await start(userId);
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ success: true, verificationId: expect.stringMatching(/^vc_/), code: expect.stringMatching(/^\d{6}$/), expiresAt: new Date(clock.now() + 5 * 60_000).toISOString(), attemptsLeft: 5, trace_id: expect.any(String) });
    const { code } = started.body;
    const stored = await backend.ctx.db('verification_codes').where({ id: started.body.verificationId }).first();
    expect(JSON.stringify(stored)).not.toContain(code);

    const verified = await verify(userId, lead.id, `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ success: true, verified: true, link: { userId, leadId: lead.id, source: 'code' } });
    const linked = await backend.ctx.db('events').where({ bot_id: botId, type: 'user.linked', lead_id: lead.id }).first();
    expect(JSON.parse(linked.payload)).toMatchObject({ source: 'code' });
    // Used up: the same code again finds nothing pending.
    const again = await verify(userId, lead.id, code);
    expect(again.status).toBe(404);
    expect(log.text()).not.toContain(code);
  });

  it('a wrong code is a 422 that counts down the attempts; the 6th try is refused even with the right code', async () => {
    const userId = newUser();
    const lead = await newLead();
    const { code } = (await start(userId)).body;
    for (let left = 4; left >= 0; left--) {
      const wrong = await verify(userId, lead.id, wrongFor(code));
      expect(wrong.status).toBe(422);
      expect(wrong.body).toEqual({ success: false, message: 'Wrong code', errorCode: 422, errors: [{ path: 'code', message: `wrong; ${left} attempts left` }], trace_id: expect.any(String) });
    }
    const refused = await verify(userId, lead.id, code);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ success: false, errorCode: 429, errors: [{ path: 'code', message: 'too_many_attempts' }] });
    expect(await backend.ctx.db('links').where({ lead_id: lead.id })).toHaveLength(0);
    const failures = await backend.ctx.db('trace_hops').where({ bot_id: botId, user_id: userId, hop: 'verification.failed' });
    expect(failures.map((hop: { status: string }) => hop.status)).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'too_many_attempts']);
    expect(JSON.stringify(failures)).not.toContain(code);
  });

  it('an expired code is a 410; a new code works', async () => {
    const userId = newUser();
    const lead = await newLead();
    const { code } = (await start(userId)).body;
    clock.advance(5 * 60_000);
    const expired = await verify(userId, lead.id, code);
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ success: false, errorCode: 410, errors: [{ path: 'code', message: 'expired' }] });
    const fresh = (await start(userId)).body.code as string;
    if (fresh !== code) expect((await verify(userId, lead.id, code)).status).toBe(422); // the newest code counts, not an earlier one
    expect((await verify(userId, lead.id, fresh)).status).toBe(200);
  });

  it('gives a user at most 3 codes in any hour, also when started concurrently', async () => {
    const userId = newUser();
    const starts = await Promise.all(Array.from({ length: 6 }, () => start(userId)));
    expect(starts.map((res) => res.status).sort()).toEqual([200, 200, 200, 429, 429, 429]);
    const limited = starts.find((res) => res.status === 429)!;
    expect(limited.body).toMatchObject({ success: false, errorCode: 429, errors: [{ path: 'userId', message: expect.stringContaining('retry from') }] });
    expect((await start(newUser())).status).toBe(200); // another user is not limited
    clock.advance(60 * 60_000);
    expect((await start(userId)).status).toBe(200);
    expect(await backend.ctx.db('verification_codes').where({ bot_id: botId, user_id: userId })).toHaveLength(1); // the hour-old codes are gone
  });

  it('concurrent tries count at most 5 attempts, and only one right code links', async () => {
    const userId = newUser();
    const lead = await newLead();
    const { code, verificationId } = (await start(userId)).body;
    const tries = await Promise.all(Array.from({ length: 12 }, () => verify(userId, lead.id, wrongFor(code))));
    expect(tries.filter((res) => res.status === 422)).toHaveLength(5);
    expect(tries.filter((res) => res.status === 429)).toHaveLength(7);
    expect((await backend.ctx.db('verification_codes').where({ id: verificationId }).first()).attempts).toBe(5);

    const other = newUser();
    const second = (await start(other)).body.code as string;
    const rights = await Promise.all(Array.from({ length: 4 }, () => verify(other, lead.id, second)));
    expect(rights.map((res) => res.status).sort()).toEqual([200, 404, 404, 404]);
    expect(await backend.ctx.db('events').where({ bot_id: botId, type: 'user.linked', user_id: other })).toHaveLength(1);
  });

  it('answers bad input with 422, an unknown lead with 404, and needs the verification scope', async () => {
    const bad = await api('POST', '/verifications/verify', { userId: '', leadId: 'x', code: '12345' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['code', 'leadId', 'userId']);
    expect((await api('POST', '/verifications', {})).status).toBe(422);
    expect((await verify('crm-x', 'ld_nope', '123456')).status).toBe(404);
    const identityOnly = (await createToken(backend.ctx, { botId, scopes: ['identity'] })).token;
    expect((await api('POST', '/verifications', { userId: 'u' }, identityOnly)).status).toBe(403);
    expect((await api('GET', '/leads', undefined, token)).status).toBe(403); // the verification scope reads nothing else
  });
});
