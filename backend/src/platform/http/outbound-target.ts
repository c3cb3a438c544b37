import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Config } from '../config/config';
import { invalid } from '../errors';

/**
 * Where the backend may send a request a token holder chose (webhook subscriptions, resume URLs):
 * never to link-local or cloud metadata addresses; to loopback and private networks only where the
 * operator allowed it (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOWED_HOSTS). docs/security.md, "No
 * server-side request forgery".
 */
export type TargetConfig = Pick<Config, 'WEBHOOK_ALLOW_PRIVATE' | 'WEBHOOK_ALLOWED_HOSTS'>;

/** public: anyone's; private: this machine or its network (operator's choice); forbidden: never. */
type AddressKind = 'public' | 'private' | 'forbidden';

/** ipaddr.js's names of the ranges an operator may open (loopback, RFC 1918, ULA, CGNAT, 0.0.0.0). */
const PRIVATE_RANGES: readonly string[] = ['loopback', 'private', 'uniqueLocal', 'carrierGradeNat', 'unspecified'];
/** Metadata services inside ranges otherwise counted as private: AWS's IPv6 one, Alibaba's. */
const METADATA_ADDRESSES = [ipaddr.parseCIDR('fd00:ec2::254/128'), ipaddr.parseCIDR('100.100.100.200/32')];
/** IPv4-compatible IPv6 (deprecated): ipaddr.js calls it unicast, yet it embeds an IPv4 address. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
const METADATA_NAMES: readonly string[] = ['metadata.google.internal', 'metadata.goog'];

/** A request refused before any byte left: the target (or what its name resolved to) is not allowed. */
export class TargetNotAllowedError extends Error {
  readonly code = 'ERR_TARGET_NOT_ALLOWED';
}

/** An http(s) URL without credentials: the shape of a URL the backend will POST to. */
export const callableUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => !URL.canParse(value) || !/^[a-z]+:\/\/[^/]*@/i.test(value), 'must not contain credentials');

/** Classifies one IP address; an IPv4-mapped IPv6 address counts as the IPv4 address it carries. */
export function addressKind(address: string): AddressKind {
  if (!ipaddr.isValid(address)) return 'forbidden';
  const ip = ipaddr.process(address);
  if (METADATA_ADDRESSES.some(([range, bits]) => ip.kind() === range.kind() && ip.match(range, bits))) return 'forbidden';
  const range = ip.range();
  if (range === 'unicast') return ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE) ? 'forbidden' : 'public';
  return PRIVATE_RANGES.includes(range) ? 'private' : 'forbidden';
}

/** What the host part says on its own: an IP literal (the URL parser already turned 2130706433 or 0x7f.1 into 127.0.0.1) or a name. */
function hostKind(hostname: string): AddressKind {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  // net.isIP, not ipaddr.js, decides what is a literal: a literal is exactly what net connects to without a lookup.
  if (net.isIP(host) !== 0) return addressKind(host);
  if (METADATA_NAMES.includes(host)) return 'forbidden';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'private';
  return 'public'; // a name: its addresses are checked when it is resolved, at every connection
}

/** May requests to this URL reach loopback and private addresses? */
export function privateAllowedFor(url: URL, config: TargetConfig): boolean {
  if (config.WEBHOOK_ALLOW_PRIVATE) return true;
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return config.WEBHOOK_ALLOWED_HOSTS.some((allowed) => allowed.host === url.hostname && (allowed.port === undefined || allowed.port === port));
}

/** Why the backend will not send to this URL (safe to show its author), or undefined when it may. */
export function targetUrlProblem(url: URL, config: TargetConfig): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  const kind = hostKind(url.hostname);
  if (kind === 'forbidden') return 'must not point at a link-local or cloud metadata address';
  if (kind === 'private' && !privateAllowedFor(url, config)) {
    return 'must not point at a loopback or private address (the operator can allow one with WEBHOOK_ALLOWED_HOSTS or WEBHOOK_ALLOW_PRIVATE)';
  }
  return undefined;
}

/** Refuses, as a 422 on `field`, a URL a token holder gave that the backend will not send to. */
export function assertCallableTarget(config: TargetConfig, url: string, field: string, what: string): void {
  const problem = targetUrlProblem(new URL(url), config);
  if (problem) throw invalid(`Invalid ${what}`, [{ path: field, message: problem }]);
}

type Resolve = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/**
 * A `lookup` for an HTTP agent that checks every address a name resolves to, right before the
 * socket connects to one of them: the address checked is the address used, so a name that
 * answers differently the second time (DNS rebinding) cannot slip through.
 */
export function guardedLookup(privateAllowed: boolean, resolve: Resolve = dns.lookup): net.LookupFunction {
  const allowed = (address: string) => {
    const kind = addressKind(address);
    return kind === 'public' || (kind === 'private' && privateAllowed);
  };
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      if (addresses.length === 0 || !addresses.every((a) => allowed(a.address))) return callback(new TargetNotAllowedError(`${hostname} resolves to an address that is not allowed`), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
