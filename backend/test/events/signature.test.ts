import { signatureHeader, verifySignature } from '../../src/events/signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = JSON.stringify({ id: 1, type: 'message.received', data: { text: 'Привет' } });
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);

  it('signs t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")> and verifies it', () => {
    const header = signatureHeader(secret, body, now);
    expect(header).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(header.startsWith(`t=${now / 1000},`)).toBe(true);
    expect(verifySignature(secret, body, header, now)).toEqual({ valid: true, timestamp: now / 1000 });
  });

  it('detects a forged body, a wrong secret and a tampered timestamp', () => {
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, body.replace('Привет', 'Hello'), header, now)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature('whsec_other', body, header, now)).toEqual({ valid: false, reason: 'mismatch' });
    const shifted = header.replace(/^t=(\d+)/, (_m, t: string) => `t=${Number(t) + 1}`);
    expect(verifySignature(secret, body, shifted, now)).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('detects a stale or future signature beyond five minutes, accepts within', () => {
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, body, header, now + 300_000).valid).toBe(true);
    expect(verifySignature(secret, body, header, now + 301_000)).toEqual({ valid: false, reason: 'stale' });
    expect(verifySignature(secret, body, header, now - 301_000)).toEqual({ valid: false, reason: 'stale' });
  });

  it('refuses malformed headers and accepts any of several v1 values', () => {
    for (const header of [undefined, '', 'v1=abc', `t=${now / 1000}`, `t=x,v1=${'a'.repeat(64)}`]) {
      expect(verifySignature(secret, body, header, now)).toEqual({ valid: false, reason: 'malformed' });
    }
    const good = signatureHeader(secret, body, now);
    const rotated = `${good.split(',')[0]},v1=${'0'.repeat(64)},${good.split(',')[1]}`;
    expect(verifySignature(secret, body, rotated, now).valid).toBe(true);
  });
});
