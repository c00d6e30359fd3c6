import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../context.ts';
import { problemResponse } from '../problem-response.ts';

/**
 * A fixed one-minute window per client, in memory: per process on Node, per isolate on Workers
 * (where it damps a burst rather than enforcing a global quota; a Cloudflare rate-limiting rule
 * does that). The client is the address the entry point saw, never a header a client can set.
 */
export function rateLimit(perMinute: number, clock: () => Date, maxClients = 10_000): MiddlewareHandler<AppEnv> {
  const windows = new Map<string, { start: number; count: number }>();
  return async (c, next) => {
    const client = c.env.clientAddress ?? 'unknown';
    const now = clock().getTime();
    let w = windows.get(client);
    if (!w || now - w.start >= 60_000) {
      windows.delete(client);
      if (windows.size >= maxClients) windows.delete(windows.keys().next().value!);
      w = { start: now, count: 0 };
      windows.set(client, w);
    }
    if (++w.count > perMinute) {
      const refused = problemResponse(c, new AppError('rate_limited', `client exceeded ${perMinute} requests per minute`));
      refused.headers.set('retry-after', String(Math.ceil((w.start + 60_000 - now) / 1000)));
      return refused;
    }
    await next();
  };
}
