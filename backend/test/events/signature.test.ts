import crypto from 'node:crypto';
import { signWebhook, verifyWebhook, WebhookSignatureError } from '../../src/events/signature';

/** The reason verifyWebhook refuses with, or 'valid' when it accepts. */
function outcome(...args: Parameters<typeof verifyWebhook>): string {
  try {
    verifyWebhook(...args);
    return 'valid';
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    return error.reason;
  }
}

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const id = 'dlv_0123456789abcdef01234567';
  const body = JSON.stringify({ id: 1, type: 'message.received', data: { text: 'Привет' } });
  const now = Date.UTC(2026, 10, 21, 12, 0, 0) / 1000;
  const hmac = (message: string) => crypto.createHmac('sha256', secret).update(message).digest('hex');

  it('signs t=<unix>,v2=<hex HMAC-SHA256(secret, "<delivery id>.<t>.<body>")> and verifies it', () => {
    const header = signWebhook(secret, id, body, now);
    expect(header).toBe(`t=${now},v2=${hmac(`${id}.${now}.${body}`)}`);
    expect(verifyWebhook(secret, id, body, header, now)).toBe(now);
  });

  it('detects a forged body, a wrong secret, a tampered timestamp and another delivery id', () => {
    const header = signWebhook(secret, id, body, now);
    expect(outcome(secret, id, body.replace('Привет', 'Hello'), header, now)).toBe('mismatch');
    expect(outcome('whsec_other', id, body, header, now)).toBe('mismatch');
    const shifted = header.replace(/^t=(\d+)/, (_m, t: string) => `t=${Number(t) + 1}`);
    expect(outcome(secret, id, body, shifted, now)).toBe('mismatch');
    expect(outcome(secret, 'dlv_other', body, header, now)).toBe('mismatch');
    expect(outcome(secret, '', body, header, now)).toBe('mismatch');
  });

  it('detects a stale or future signature beyond five minutes, accepts within', () => {
    const header = signWebhook(secret, id, body, now);
    expect(outcome(secret, id, body, header, now + 300)).toBe('valid');
    expect(outcome(secret, id, body, header, now + 301)).toBe('stale');
    expect(outcome(secret, id, body, header, now - 301)).toBe('stale');
  });

  it('refuses malformed headers and accepts any of several v2 values', () => {
    for (const header of [undefined, '', 'v2=abc', `t=${now}`, `t=x,v2=${'a'.repeat(64)}`]) {
      expect(outcome(secret, id, body, header, now)).toBe('malformed');
    }
    const [t, v2] = signWebhook(secret, id, body, now).split(',');
    expect(outcome(secret, id, body, `${t},v2=${'0'.repeat(64)},${v2}`, now)).toBe('valid');
  });

  it('still accepts the deprecated v1 over "<t>.<body>", whatever the delivery id (until 0.2.0)', () => {
    const v1 = `t=${now},v1=${hmac(`${now}.${body}`)}`;
    expect(outcome(secret, id, body, v1, now)).toBe('valid');
    expect(outcome(secret, 'dlv_other', body, v1, now)).toBe('valid');
    expect(outcome(secret, id, `${body} `, v1, now)).toBe('mismatch');
    // A v2 digest presented as v1 (or the reverse) matches nothing.
    const v2 = signWebhook(secret, id, body, now).split(',')[1].slice(3);
    expect(outcome(secret, id, body, `t=${now},v1=${v2}`, now)).toBe('mismatch');
    expect(outcome(secret, id, body, v1.replace('v1=', 'v2='), now)).toBe('mismatch');
  });
});
