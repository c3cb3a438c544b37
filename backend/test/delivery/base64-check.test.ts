import fc from 'fast-check';
import { isBase64 } from '../../src/delivery/media-schema';

/** The rule the check stands for, as the regular expression it replaced (fine on short strings). */
const rule = /^[A-Za-z0-9+/]+={0,2}$/;

describe('the base64 check of uploads', () => {
  it('agrees with the RFC 4648 rule on any string of its alphabet, padding and other characters', () => {
    const char = fc.constantFrom(...'ABCxyz019+/=-_ \n.é');
    fc.assert(fc.property(fc.array(char, { maxLength: 40 }).map((chars) => chars.join('')), (text) => isBase64(text) === rule.test(text)), { numRuns: 5000 });
  });

  it('accepts real base64 and refuses what is not, at 20 MB too, without a stack overflow', () => {
    for (const size of [1, 2, 3, 10 * 1024 * 1024 + 3]) expect(isBase64(Buffer.alloc(size, 7).toString('base64'))).toBe(true);
    const large = Buffer.alloc(20 * 1024 * 1024).toString('base64');
    expect(isBase64(large)).toBe(true);
    expect(isBase64(`${large.slice(0, -1)}!`)).toBe(false);
    expect(isBase64('')).toBe(false);
    expect(isBase64('===')).toBe(false);
    expect(isBase64('QUJD\nREVG')).toBe(false);
  });
});
