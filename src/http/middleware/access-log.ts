import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../log/logger.ts';
import type { AppEnv } from '../context.ts';
import { redactPath } from '../redact-path.ts';

/**
 * One line per request. The path is logged without its query string (a query may carry a
 * token or a code) and without the secrets some paths carry, and the caller is named by its
 * principal id, never by its credential.
 */
export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    log.info('request', {
      request_id: c.get('requestId'),
      method: c.req.method,
      path: redactPath(c.req.path),
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      principal: c.get('principal')?.id,
      tenant: c.get('tenantId'),
    });
  };
}
