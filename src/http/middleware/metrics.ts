import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Metrics } from '../../metrics/port.ts';
import { CLIENT_CLOSED_REQUEST } from '../client-closed.ts';
import type { AppEnv } from '../context.ts';

/**
 * The route a request matched, as its template. The last matched entry is the route handler even
 * when a middleware answered first (a rate limit, a body limit); when only `*` middleware matched,
 * no route did, and every unknown path shares one label instead of minting one each.
 */
function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const path = routePath(c, -1);
  return path.endsWith('*') ? 'unmatched' : path;
}

/** One request answered: counted and timed by method, route template and status. */
export function recordRequest(metrics: Metrics, method: string, route: string, status: number, started: number): void {
  metrics.record({ kind: 'http_request', method, route, status, seconds: (performance.now() - started) / 1000 });
}

/**
 * Counts and times every request by method, route template and status, and counts refusals by
 * their problem code (set by problemResponse). Rate-limit refusals and signing failures are read
 * from the code, whichever middleware or route produced them, so a new limiter is counted
 * without knowing about this file.
 */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeOf(c);
    // A request whose client went away is counted as 499 (nginx's "client closed request"):
    // no answer reached anyone, and it must not page anyone. But not a 5xx: the abort signal also
    // fires when a proxy gives up on an answer that is slow because we are failing, and a 5xx
    // during an outage must stay a 5xx for the alert that watches for it. (A hang-up mid-upload
    // is already a 499 from the error handler, which asks the entry point: client-closed.ts.)
    const answered = c.res.status;
    const status = answered < 500 && c.req.raw.signal.aborted ? CLIENT_CLOSED_REQUEST : answered;
    recordRequest(metrics, c.req.method, route, status, started);
    const code = c.get('problemCode');
    if (code === undefined || status === CLIENT_CLOSED_REQUEST) return;
    metrics.record({ kind: 'http_problem', code, route });
    if (code === 'rate_limited') metrics.record({ kind: 'rate_limited', route });
    if (code === 'signing_unavailable') metrics.record({ kind: 'signing_failed', operation: 'request' });
  };
}
