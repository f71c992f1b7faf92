import { lookup as dnsLookup } from 'node:dns/promises';
import net, { type LookupFunction } from 'node:net';

/** Why a URL the service was asked to call out to is refused. */
export type OutboundRefusal = 'invalid_url' | 'private_address' | 'unresolvable';

/** A URL the service will not call out to, and why. */
export class OutboundUrlError extends Error {
  override name = 'OutboundUrlError';

  constructor(
    readonly reason: OutboundRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** A URL checked for calling out to: the address it resolved to, and a lookup that answers only that address. */
export interface CheckedTarget {
  url: URL;
  /** The host as the URL names it (no brackets): what TLS checks the certificate against. */
  hostname: string;
  /** The address that was checked; connections go to it and to no other. */
  address: string;
  family: 4 | 6;
  /**
   * A `lookup` for http(s).request or net.connect that answers the checked address whatever it is asked, so a
   * name that resolves elsewhere by the time of connecting (DNS rebinding) changes nothing.
   */
  lookup: LookupFunction;
}

export interface OutboundOptions {
  /** Private, loopback, link-local and other non-public addresses are allowed (a closed network, tests). */
  allowPrivate: boolean;
  /** Resolves a host name to all its addresses; the system resolver (dns.lookup) by default. */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
  /** How long the name may take to resolve before it counts as unresolvable; {@link RESOLVE_TIMEOUT_MS} by default. */
  resolveTimeoutMs?: number;
}

/**
 * How long a host name may take to resolve. A name server that never answers (one the URL's owner runs, say)
 * would otherwise hold the request that registers the URL, or a delivery, for as long as the system resolver
 * keeps trying.
 */
export const RESOLVE_TIMEOUT_MS = 5_000;

// Addresses that are not the public internet: this network, private, shared (CGNAT), loopback, link-local,
// protocol assignments, documentation, benchmarking, multicast, reserved and broadcast; and their IPv6 kin
// (IPv4-mapped IPv6 addresses are matched against the IPv4 rules by BlockList itself).
const NOT_PUBLIC = new net.BlockList();
for (const [network, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(network, bits, 'ipv4');
for (const [network, bits] of [
  // Unspecified and loopback, and the deprecated IPv4-compatible form around them.
  ['::', 96],
  // IPv4-translated (SIIT, RFC 2765): never routed on the internet, whatever IPv4 address it carries.
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // IETF protocol assignments (Teredo among them), documentation, 6to4.
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['3fff::', 20],
  // Segment routing SIDs (RFC 9602): not globally reachable.
  ['5f00::', 16],
  // Unique local, link-local, site-local, multicast.
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  NOT_PUBLIC.addSubnet(network, bits, 'ipv6');

/** An IPv6 address in its one canonical text form (RFC 5952, as URLs write it), or undefined (a zone id, say). */
function canonicalIpv6(address: string): string | undefined {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** The IPv4 address a canonical NAT64 address (64:ff9b::/96) stands for, or undefined for any other address. */
function nat64Embedded(address: string): string | undefined {
  const match = /^64:ff9b::(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})$/.exec(address);
  if (!match) return undefined;
  const [high, low] = [parseInt(match[1] ?? '0', 16), parseInt(match[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Whether an IP address is anything but a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  if (family === 4) return NOT_PUBLIC.check(address, 'ipv4');
  const canonical = canonicalIpv6(address);
  if (!canonical) return true;
  const embedded = nat64Embedded(canonical);
  if (embedded) return NOT_PUBLIC.check(embedded, 'ipv4');
  return NOT_PUBLIC.check(canonical, 'ipv6');
}

/** Parses a URL to call out to: absolute, http or https, with a host, no credentials and a port other than 0. */
export function parseOutboundUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new OutboundUrlError('invalid_url', 'is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new OutboundUrlError('invalid_url', 'must be an http or https URL');
  if (url.username || url.password)
    throw new OutboundUrlError('invalid_url', 'must not carry a user name or password');
  if (!url.hostname) throw new OutboundUrlError('invalid_url', 'has no host');
  // The URL parser takes port 0, which nothing can be reached at: said now, not by every delivery failing.
  if (url.port === '0') throw new OutboundUrlError('invalid_url', 'must not use port 0');
  return url;
}

const systemResolve = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/** The host's addresses, or an `unresolvable` refusal: it does not resolve, has no address, or takes too long. */
async function resolveHost(
  hostname: string,
  options: OutboundOptions,
): Promise<Array<{ address: string; family: number }>> {
  const timeoutMs = options.resolveTimeoutMs ?? RESOLVE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), timeoutMs);
  });
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await Promise.race([(options.resolve ?? systemResolve)(hostname), timedOut]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const why = code === 'ETIMEOUT' ? `not within ${timeoutMs} ms` : `(${code})`;
    throw new OutboundUrlError('unresolvable', `host '${hostname}' does not resolve ${why}`);
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new OutboundUrlError('unresolvable', `host '${hostname}' has no address`);
  return addresses;
}

/** A lookup that answers `address` to every question, in the form the caller asks for. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Checks a URL before calling out to it: it must parse (see {@link parseOutboundUrl}), its host resolve, and,
 * unless `allowPrivate`, every address it resolves to be public. Connect through the result's `lookup`, so that
 * the connection goes to the address checked here.
 */
export async function checkOutboundUrl(
  input: string | URL,
  options: OutboundOptions,
): Promise<CheckedTarget> {
  const url = typeof input === 'string' ? parseOutboundUrl(input) : input;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(hostname)
    ? [{ address: hostname, family: net.isIP(hostname) }]
    : await resolveHost(hostname, options);
  if (!options.allowPrivate) {
    // One non-public address among several is enough to refuse: which one a connection takes is not ours to say.
    const refused = addresses.find(({ address }) => isNonPublicAddress(address));
    if (refused) {
      const where = refused.address === hostname ? '' : ` resolves to ${refused.address}, which`;
      throw new OutboundUrlError(
        'private_address',
        `host '${hostname}'${where} is not a public address (private, loopback, link-local or reserved)`,
      );
    }
  }
  const { address, family } = addresses[0]!;
  return {
    url,
    hostname,
    address,
    family: family === 6 ? 6 : 4,
    lookup: pinnedLookup(address, family === 6 ? 6 : 4),
  };
}
