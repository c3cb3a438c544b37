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
  const body = JSON.stringify({ id: 1, type: 'message.received', data: { text: 'Привет' } });
  const now = Date.UTC(2026, 10, 21, 12, 0, 0) / 1000;

  it('signs t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")> and verifies it', () => {
    const header = signWebhook(secret, body, now);
    expect(header).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(header.startsWith(`t=${now},`)).toBe(true);
    expect(verifyWebhook(secret, body, header, now)).toBe(now);
  });

  it('detects a forged body, a wrong secret and a tampered timestamp', () => {
    const header = signWebhook(secret, body, now);
    expect(outcome(secret, body.replace('Привет', 'Hello'), header, now)).toBe('mismatch');
    expect(outcome('whsec_other', body, header, now)).toBe('mismatch');
    const shifted = header.replace(/^t=(\d+)/, (_m, t: string) => `t=${Number(t) + 1}`);
    expect(outcome(secret, body, shifted, now)).toBe('mismatch');
  });

  it('detects a stale or future signature beyond five minutes, accepts within', () => {
    const header = signWebhook(secret, body, now);
    expect(outcome(secret, body, header, now + 300)).toBe('valid');
    expect(outcome(secret, body, header, now + 301)).toBe('stale');
    expect(outcome(secret, body, header, now - 301)).toBe('stale');
  });

  it('refuses malformed headers and accepts any of several v1 values', () => {
    for (const header of [undefined, '', 'v1=abc', `t=${now}`, `t=x,v1=${'a'.repeat(64)}`]) {
      expect(outcome(secret, body, header, now)).toBe('malformed');
    }
    const good = signWebhook(secret, body, now);
    const rotated = `${good.split(',')[0]},v1=${'0'.repeat(64)},${good.split(',')[1]}`;
    expect(outcome(secret, body, rotated, now)).toBe('valid');
  });
});
