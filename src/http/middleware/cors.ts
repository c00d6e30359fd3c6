import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../context.ts';

export interface OpenCorsOptions {
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge: number;
}

/**
 * CORS open to every origin (`*`, no credentials). Preflights are hono's `cors`; on any other
 * request the fields go on the answer after the route made it. Hono's `cors` sets them on
 * `c.res` before the route runs, which makes Hono rebuild the route's response around its body
 * afterwards; on Node that turns a body held in memory into a stream read in chunks (a public
 * GET ran at 0.13x a minimal Hono app with it, bench/side-by-side.bench.ts). Same fields, same
 * precedence over the route's own values.
 */
export function openCors(options: OpenCorsOptions): MiddlewareHandler<AppEnv> {
  const preflight = cors({
    origin: '*',
    allowMethods: [...options.allowMethods],
    allowHeaders: [...options.allowHeaders],
    exposeHeaders: [...(options.exposeHeaders ?? [])],
    maxAge: options.maxAge,
  });
  const expose = options.exposeHeaders?.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    await next();
    const h = c.res.headers;
    h.set('access-control-allow-origin', '*');
    if (expose) h.set('access-control-expose-headers', expose);
  };
}
