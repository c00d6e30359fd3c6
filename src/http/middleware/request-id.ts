import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';

// A caller's id is passed through only when it is short and plain, so it cannot smuggle
// anything into our logs or response headers.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id a request is known by: the caller's X-Request-Id where acceptable, else a new one. */
export function requestIdOf(given: string | null | undefined): string {
  return given && ACCEPTABLE.test(given) ? given : crypto.randomUUID();
}

export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', id);
    await next();
    c.res.headers.set('x-request-id', id);
  };
}
