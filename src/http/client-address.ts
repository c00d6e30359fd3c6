import type { Context } from 'hono';
import type { AppEnv } from './context.ts';

/**
 * The address public rate limits key on. Without TRUST_PROXY (0) it is the address the entry
 * point saw (Node: the socket; Workers: cf-connecting-ip, which Cloudflare sets), and
 * X-Forwarded-For is ignored: any client can write it. With TRUST_PROXY=N, N proxies of ours
 * each append the address they saw, so the Nth entry from the right is the one the outermost
 * of them saw, and everything to its left is the client's own say. A header with fewer entries
 * did not come through those proxies: the entry point's address is used.
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: number): string {
  return clientAddressFrom(c.env?.clientAddress, trustProxy === 0 ? undefined : c.req.header('x-forwarded-for'), trustProxy);
}

/** clientAddress from its parts: the entry point's address and the X-Forwarded-For field. */
export function clientAddressFrom(entryAddress: string | undefined, forwardedFor: string | null | undefined, trustProxy: number): string {
  const direct = entryAddress ?? 'unknown';
  if (trustProxy === 0) return limitKey(direct);
  const hops = (forwardedFor ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return limitKey(hops[hops.length - trustProxy] ?? direct);
}

/**
 * What a client's limits are counted under: an IPv4 address whole, an IPv6 address by its /64.
 * One subscriber holds a whole /64 (RFC 6177 assigns at least that), so counting each of its
 * 2^64 addresses apart would give a client as many quotas as it cares to use.
 */
export function limitKey(address: string): string {
  const prefix = ipv6Prefix64(address);
  return prefix ?? address;
}

function ipv6Prefix64(address: string): string | undefined {
  const bare = address.split('%')[0]!.replace(/^\[|\]$/g, '');
  // IPv4 (no colon), or IPv4 within IPv6 (::ffff:192.0.2.1): the IPv4 address is the client.
  if (!bare.includes(':') || bare.includes('.')) return undefined;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
