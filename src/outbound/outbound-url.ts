import { OutboundError } from './errors.ts';
import type { OutboundPolicy } from './policy.ts';
import { isLoopbackAddress, isPublicAddress } from './public-address.ts';

/**
 * Explicit ports: did:web encodes them (`did:web:host%3A8443`), so refusing every port but 443
 * would refuse valid issuers. Ports below 1024 other than 443 belong to other services (SSH, SMTP,
 * LDAP...) and no issuer needs them; above that, the ports the Fetch standard blocks for the same
 * reason (SIP, IRC, NFS, X11...) are refused too.
 */
const BLOCKED_HIGH_PORTS = new Set([
  1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080,
]);

/** Names that only ever resolve inside a network: `localhost` (RFC 6761), mDNS, and the private-use TLDs. */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa', 'localdomain'];

const unsafe = (detail: string) => new OutboundError('unsafe_url', detail);

/**
 * Parses a URL someone else named and refuses it unless it is https to a public host (or, with
 * the development allowance, http or https to loopback). Hosts given as names are checked again,
 * by address, once resolved: by the pinning edge itself, or before sending (guarded-request.ts).
 */
export function parseOutboundUrl(text: string, policy: OutboundPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw unsafe('not a URL');
  }
  const loopback = policy.allowLoopbackHttp === true && isLoopbackHost(url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw unsafe('only https URLs are fetched');
  if (url.username !== '' || url.password !== '') throw unsafe('URL carries credentials');
  if (url.port !== '') {
    const port = Number(url.port);
    if (port < 1024 || BLOCKED_HIGH_PORTS.has(port)) throw unsafe('port not allowed');
  }
  if (loopback) return url;
  const literal = ipLiteralOf(url);
  if (literal !== undefined) {
    if (!isPublicAddress(literal)) throw unsafe('address is not public');
    return url;
  }
  const name = withoutTrailingDot(url.hostname);
  if (!name.includes('.')) throw unsafe('single-label host name');
  if (LOCAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) throw unsafe('local host name');
  return url;
}

/**
 * The URL's host when it is an IP address (brackets removed), which needs no resolution. The
 * URL parser has already rewritten every IPv4 spelling (0x7f.1, 2130706433) as a dotted quad.
 */
export function ipLiteralOf(url: URL): string | undefined {
  const host = url.hostname;
  if (host.startsWith('[')) return host.slice(1, -1);
  return /^[0-9.]+$/.test(host) ? host : undefined;
}

/** `localhost` itself (not its subdomains, which a resolver need not send to loopback) or a loopback address. */
function isLoopbackHost(url: URL): boolean {
  const literal = ipLiteralOf(url);
  if (literal !== undefined) return isLoopbackAddress(literal);
  return withoutTrailingDot(url.hostname) === 'localhost';
}

function withoutTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}
