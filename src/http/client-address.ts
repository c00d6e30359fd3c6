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
  const direct = c.env?.clientAddress ?? 'unknown';
  if (trustProxy === 0) return direct;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return hops[hops.length - trustProxy] ?? direct;
}
