import type { LookupAddress } from 'node:dns';
import { addressKind, guardedLookup, TargetNotAllowedError } from '../../src/platform/http/outbound-target';

type Answer = { err: NodeJS.ErrnoException | null; address: unknown; family?: number };

/** Runs a guarded lookup against a resolver that answers `addresses` in turn (one list per call). */
function lookupWith(privateAllowed: boolean, ...answers: LookupAddress[][]) {
  const resolve = (_host: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => callback(null, answers.shift() ?? []);
  const lookup = guardedLookup(privateAllowed, resolve);
  return (all: boolean) => new Promise<Answer>((done) => lookup('n8n.example.com', { all }, (err, address, family) => done({ err, address, family })));
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

describe('the address guard of webhook connections', () => {
  it('classifies addresses: IPv4-mapped IPv6 as its IPv4 address, metadata inside private ranges as never allowed', () => {
    const kinds = Object.fromEntries(
      ['93.184.215.14', '2606:4700::1111', '127.0.0.1', '::ffff:127.0.0.1', '::1', '0.0.0.0', '10.0.0.1', '172.31.255.255', '192.168.0.1', '100.64.0.1', 'fd12::1',
        '169.254.169.254', '::ffff:169.254.169.254', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '224.0.0.1', '::7f00:1', '64:ff9b::7f00:1', 'not an address'].map((a) => [a, addressKind(a)]),
    );
    expect(kinds).toEqual({
      '93.184.215.14': 'public', '2606:4700::1111': 'public',
      '127.0.0.1': 'private', '::ffff:127.0.0.1': 'private', '::1': 'private', '0.0.0.0': 'private', '10.0.0.1': 'private', '172.31.255.255': 'private',
      '192.168.0.1': 'private', '100.64.0.1': 'private', 'fd12::1': 'private',
      '169.254.169.254': 'forbidden', '::ffff:169.254.169.254': 'forbidden', 'fe80::1': 'forbidden', 'fd00:ec2::254': 'forbidden', '100.100.100.200': 'forbidden',
      '224.0.0.1': 'forbidden', '::7f00:1': 'forbidden', '64:ff9b::7f00:1': 'forbidden', 'not an address': 'forbidden',
    });
  });

  it('passes public answers on in the form the socket asked for', async () => {
    expect(await lookupWith(false, [v4('93.184.215.14'), v6('2606:4700::1111')])(true)).toEqual({ err: null, address: [v4('93.184.215.14'), v6('2606:4700::1111')], family: undefined });
    expect(await lookupWith(false, [v4('93.184.215.14')])(false)).toEqual({ err: null, address: '93.184.215.14', family: 4 });
  });

  it('refuses a name when any of its addresses is not allowed, checked at every connection (DNS rebinding)', async () => {
    const rebinding = lookupWith(false, [v4('93.184.215.14')], [v4('93.184.215.14'), v4('127.0.0.1')]);
    expect((await rebinding(true)).err).toBeNull();
    expect((await rebinding(true)).err).toBeInstanceOf(TargetNotAllowedError);
    expect((await lookupWith(false, [v6('::ffff:10.0.0.1')])(false)).err).toBeInstanceOf(TargetNotAllowedError);
    expect((await lookupWith(false, [])(false)).err).toBeInstanceOf(TargetNotAllowedError);
  });

  it('lets private addresses through where the operator allowed them, never link-local or metadata ones', async () => {
    expect((await lookupWith(true, [v4('127.0.0.1'), v6('::1')])(true)).err).toBeNull();
    expect((await lookupWith(true, [v4('10.0.0.1'), v4('169.254.169.254')])(true)).err).toBeInstanceOf(TargetNotAllowedError);
    expect((await lookupWith(true, [v6('fd00:ec2::254')])(false)).err).toBeInstanceOf(TargetNotAllowedError);
  });

  it('checks what the system resolver answers: localhost is refused', async () => {
    const answer = await new Promise<NodeJS.ErrnoException | null>((done) => guardedLookup(false)('localhost', { all: true }, (err) => done(err)));
    expect(answer).toBeInstanceOf(TargetNotAllowedError);
  });
});
