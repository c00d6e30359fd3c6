import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../metrics/port.ts';
import { clientAddressFrom } from './client-address.ts';
import type { AppEnv } from './context.ts';
import { logRequest } from './middleware/access-log.ts';
import { recordRequest } from './middleware/metrics.ts';
import { rateLimitFields, type Policy } from './middleware/rate-limit.ts';
import { requestIdOf } from './middleware/request-id.ts';
import { publicAnswer, type PublicAnswer } from './public-json.ts';
import { BoundedCache } from '../util/bounded-cache.ts';

export interface HotPathDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The fields every answer carries (security-headers.ts). */
  readonly securityFields: Readonly<Record<string, string>>;
  /** The per-address policy of public paths, counted here exactly as the rate-limit middleware counts it. */
  readonly publicLimit: Policy;
  readonly trustProxy: number;
  readonly clock: () => Date;
  /** Paths remembered at once; the least recently asked is forgotten past it, so probing many documents cannot grow memory. */
  readonly capacity?: number;
}

interface HotPath {
  readonly again: () => PublicAnswer | undefined;
  /** The route template the path matched, for the request metrics. */
  readonly route: string;
}

/**
 * Public documents answered before routing. A route that served a public document from memory
 * leaves, for its path, a function that answers that path again from memory alone
 * (public-json.ts `servePublic`). The next GET of the same path, without a query, is answered
 * here with everything the middleware chain would have done: request id, public rate limit,
 * security fields, CORS, access log line and metrics, the same bytes and ETag. Anything else
 * (memory not holding the document, a spent quota, any other method) goes through routing as
 * before, so every refusal is still the route's or the middleware's own.
 *
 * Why: with ten middleware layers around it, a public GET served from memory ran at 0.3x a
 * minimal Hono app serving the same bytes (bench/side-by-side.bench.ts); the chain, not the
 * document, was the cost.
 */
export class HotPaths {
  readonly #paths: BoundedCache<HotPath>;

  constructor(private readonly deps: HotPathDeps) {
    // Bounded by count alone: an entry is a closure over what the projection already holds.
    this.#paths = new BoundedCache(deps.capacity ?? 10_000, Number.POSITIVE_INFINITY);
  }

  /** Called by a route as it serves `c`: later GETs of this exact path may be answered by `again`. */
  remember(c: Context<AppEnv>, again: () => PublicAnswer | undefined): void {
    const path = c.req.method === 'GET' ? pathOf(c.req.url) : undefined;
    if (path === undefined || this.#paths.get(path)) return;
    this.#paths.set(path, { again, route: routePath(c, -1) }, 1);
  }

  /** The answer to `request` from memory, or undefined for routing to answer. */
  answer(request: Request, env: AppEnv['Bindings'] | undefined): Response | undefined {
    if (request.method !== 'GET') return undefined;
    const path = pathOf(request.url);
    const hot = path === undefined ? undefined : this.#paths.get(path);
    const answer = hot?.again();
    if (!hot || !answer) return undefined;
    const started = performance.now();
    const { deps } = this;
    const client = clientAddressFrom(
      env?.clientAddress,
      deps.trustProxy === 0 ? undefined : request.headers.get('x-forwarded-for'),
      deps.trustProxy,
    );
    const now = deps.clock().getTime();
    const windows = deps.publicLimit.windows;
    // A spent quota is refused by the middleware, problem document and all.
    if (windows.spent(client, now)) return undefined;
    const requestId = requestIdOf(request.headers.get('x-request-id'));
    const res = publicAnswer(answer, request.headers.get('if-none-match'), {
      ...deps.securityFields,
      ...rateLimitFields(deps.publicLimit.name, windows, windows.take(client, now)),
      'x-request-id': requestId,
    });
    logRequest(deps.log, { requestId, method: 'GET', path: path!, status: res.status, started });
    recordRequest(deps.metrics, 'GET', hot.route, res.status, started);
    deps.metrics.record({ kind: 'answered_from_memory', route: hot.route });
    return res;
  }
}

/** The path as Hono routes on it (still percent-encoded); undefined with a query, which routes may read. */
function pathOf(url: string): string | undefined {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start === -1 || url.includes('?', start)) return undefined;
  return url.slice(start);
}
