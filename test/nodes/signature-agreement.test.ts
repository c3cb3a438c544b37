import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import * as backend from '../../backend/src/events/signature';
import * as node from '../../nodes/shared/signature';

/**
 * The backend signs every delivery and the n8n trigger verifies it with its own copy of the
 * signature module (the community package may not depend on the backend). The two must agree on
 * every header, in both directions, and refuse for the same reason.
 */
type Side = typeof backend | typeof node;
const sides: Array<[string, Side, Side]> = [
  ['backend signs, trigger verifies', backend, node],
  ['trigger signs, backend verifies', node, backend],
];

/** The verified timestamp, or the reason of the WebhookSignatureError (anything else fails the test). */
function outcome(side: Side, key: string, rawBody: string, header: string | undefined, nowSeconds: number, tolerance?: number, deliveryId = id): number | string {
  try {
    return side.verifyWebhook(key, deliveryId, rawBody, header, nowSeconds, tolerance);
  } catch (error) {
    expect(error).toBeInstanceOf(side.WebhookSignatureError);
    expect((error as Error).name).toBe('WebhookSignatureError');
    expect((error as Error).message).not.toBe('');
    return (error as InstanceType<Side['WebhookSignatureError']>).reason;
  }
}

const secret = 'whsec_agreement';
const id = 'dlv_0123456789abcdef01234567';
const body = JSON.stringify({ id: 'ev_1', type: 'message.received', data: { text: 'Привет 👋' } });
const now = 1_800_000_000;

describe.each(sides)('webhook signatures: %s', (_name, signer, verifier) => {
  it('accepts the signature and returns its timestamp', () => {
    expect(outcome(verifier, secret, body, signer.signWebhook(secret, id, body, now), now)).toBe(now);
  });

  it('accepts a rotated header with two v2 values, whichever of them matches', () => {
    const [t, current] = signer.signWebhook(secret, id, body, now).split(',');
    const [, previous] = signer.signWebhook('whsec_previous', id, body, now).split(',');
    expect(outcome(verifier, secret, body, `${t},${previous},${current}`, now)).toBe(now);
    expect(outcome(verifier, 'whsec_previous', body, `${t},${previous},${current}`, now)).toBe(now);
    expect(outcome(verifier, 'whsec_third', body, `${t},${previous},${current}`, now)).toBe('mismatch');
  });

  it('refuses a stale or future timestamp as stale, and accepts the edges of the tolerance', () => {
    const header = signer.signWebhook(secret, id, body, now);
    expect(outcome(verifier, secret, body, header, now + 300)).toBe(now);
    expect(outcome(verifier, secret, body, header, now - 300)).toBe(now);
    expect(outcome(verifier, secret, body, header, now + 301)).toBe('stale');
    expect(outcome(verifier, secret, body, header, now - 301)).toBe('stale');
    expect(outcome(verifier, secret, body, header, now + 60, 30)).toBe('stale');
  });

  it('refuses a tampered body, another secret and a re-dated header as mismatch', () => {
    const header = signer.signWebhook(secret, id, body, now);
    expect(outcome(verifier, secret, body.replace('Привет', 'Hello'), header, now)).toBe('mismatch');
    expect(outcome(verifier, secret, `${body} `, header, now)).toBe('mismatch');
    expect(outcome(verifier, 'whsec_other', body, header, now)).toBe('mismatch');
    expect(outcome(verifier, secret, body, header.replace(`t=${now}`, `t=${now + 1}`), now)).toBe('mismatch');
  });

  it('refuses the signature under another delivery id (the id is signed), or under none', () => {
    const header = signer.signWebhook(secret, id, body, now);
    expect(outcome(verifier, secret, body, header, now, undefined, 'dlv_replayed')).toBe('mismatch');
    expect(outcome(verifier, secret, body, header, now, undefined, '')).toBe('mismatch');
  });

  it('still accepts the deprecated v1 ("<t>.<body>", no delivery id) until 0.2.0', () => {
    const v1 = `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${body}`).digest('hex')}`;
    expect(outcome(verifier, secret, body, v1, now)).toBe(now);
    expect(outcome(verifier, secret, body, v1, now, undefined, 'dlv_any')).toBe(now);
    expect(outcome(verifier, secret, `${body} `, v1, now)).toBe('mismatch');
    expect(outcome(verifier, secret, body, v1, now + 301)).toBe('stale');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v2 or v1', `t=${now}`],
    ['a non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`],
    ['a timestamp of 13 digits', `t=1${'0'.repeat(12)},v1=${'a'.repeat(64)}`],
    ['a short hex', `t=${now},v2=abc`],
    ['a long hex', `t=${now},v2=${'a'.repeat(66)}`],
    ['an odd-length hex', `t=${now},v2=${'a'.repeat(63)}`],
    ['another scheme only', `t=${now},v0=${'a'.repeat(64)}`],
    ['a v3 only', `t=${now},v3=${'a'.repeat(64)}`],
  ])('refuses %s as malformed, without throwing anything else', (_case, header) => {
    expect(outcome(verifier, secret, body, header, now)).toBe('malformed');
  });
});

describe('webhook signatures: both modules', () => {
  it('sign to the same header, whole seconds, in the documented format', () => {
    expect(node.signWebhook(secret, id, body, now)).toBe(backend.signWebhook(secret, id, body, now));
    expect(node.signWebhook(secret, id, body, now + 0.9)).toBe(backend.signWebhook(secret, id, body, now));
    const digest = createHmac('sha256', secret).update(`${id}.${now}.${body}`).digest('hex');
    expect(backend.signWebhook(secret, id, body, now)).toBe(`t=${now},v2=${digest}`);
    expect(node.SIGNATURE_TOLERANCE_SECONDS).toBe(backend.SIGNATURE_TOLERANCE_SECONDS);
  });

  it('agree on random secrets, delivery ids, bodies, clocks and tampering (fixed seed)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.integer({ min: -600, max: 600 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }),
        (key, deliveryId, raw, t, drift, tamper) => {
          const header = backend.signWebhook(key, deliveryId, raw, t);
          expect(node.signWebhook(key, deliveryId, raw, t)).toBe(header);
          const expected = Math.abs(drift) > 300 ? 'stale' : t;
          expect(outcome(node, key, raw, header, t + drift, undefined, deliveryId)).toBe(expected);
          expect(outcome(backend, key, raw, header, t + drift, undefined, deliveryId)).toBe(expected);
          expect(outcome(node, key, raw + tamper, header, t, undefined, deliveryId)).toBe('mismatch');
          expect(outcome(backend, key, raw + tamper, header, t, undefined, deliveryId)).toBe('mismatch');
          expect(outcome(node, key, raw, header, t, undefined, deliveryId + tamper)).toBe('mismatch');
          expect(outcome(backend, key, raw, header, t, undefined, deliveryId + tamper)).toBe('mismatch');
        },
      ),
      { seed: 20261121, numRuns: 300 },
    );
  });

  it('refuse random headers for the same reason (fixed seed)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (header) => {
        expect(outcome(node, secret, body, header, now)).toBe(outcome(backend, secret, body, header, now));
      }),
      { seed: 20261121, numRuns: 300 },
    );
  });
});
