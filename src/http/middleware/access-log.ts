import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../log/logger.ts';
import type { AppEnv } from '../context.ts';
import { redactPath } from '../redact-path.ts';

/** What one access-log line says. */
export interface AnsweredRequest {
  readonly requestId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** performance.now() when the request arrived. */
  readonly started: number;
  readonly principal?: string | undefined;
  readonly tenant?: string | undefined;
}

/**
 * One line per request. The path is logged without its query string (a query may carry a
 * token or a code) and without the secrets some paths carry, and the caller is named by its
 * principal id, never by its credential.
 */
export function logRequest(log: Logger, r: AnsweredRequest): void {
  log.info('request', {
    request_id: r.requestId,
    method: r.method,
    path: redactPath(r.path),
    status: r.status,
    duration_ms: Math.round((performance.now() - r.started) * 10) / 10,
    principal: r.principal,
    tenant: r.tenant,
  });
}

export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logRequest(log, {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      started,
      principal: c.get('principal')?.id,
      tenant: c.get('tenantId'),
    });
  };
}
