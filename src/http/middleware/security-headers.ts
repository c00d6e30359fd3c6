import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';

// The API serves JSON only: nothing may be framed, scripted, or loaded from it as a page.
const CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The fields every answer carries (a page may bring its own content-security-policy instead). */
export function securityFields(options: { https: boolean }): Readonly<Record<string, string>> {
  return Object.freeze({
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-resource-policy': 'cross-origin',
    'content-security-policy': CSP,
    // HSTS only means something over https; sent over http it would be ignored or, worse, cached by a proxy.
    ...(options.https ? { 'strict-transport-security': 'max-age=63072000; includeSubDomains' } : {}),
  });
}

export function securityHeaders(options: { https: boolean }): MiddlewareHandler<AppEnv> {
  const fields = Object.entries(securityFields(options));
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    for (const [name, value] of fields) if (name !== 'content-security-policy' || !h.has(name)) h.set(name, value);
  };
}
