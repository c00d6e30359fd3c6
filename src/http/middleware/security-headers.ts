import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';

// The API serves JSON only: nothing may be framed, scripted, or loaded from it as a page.
const CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(options: { https: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('x-content-type-options', 'nosniff');
    h.set('referrer-policy', 'no-referrer');
    h.set('x-frame-options', 'DENY');
    h.set('cross-origin-resource-policy', 'cross-origin');
    if (!h.has('content-security-policy')) h.set('content-security-policy', CSP);
    // HSTS only means something over https; sent over http it would be ignored or, worse, cached by a proxy.
    if (options.https) h.set('strict-transport-security', 'max-age=63072000; includeSubDomains');
  };
}
