import { createHash, timingSafeEqual } from 'node:crypto';
import { problemDocument, PROBLEM_MEDIA_TYPE } from '../../../errors/index.ts';

export const METRICS_PATH = '/metrics';

/**
 * Compares digests, not the strings: timingSafeEqual needs equal lengths, and comparing lengths
 * first would tell a caller how long the token is.
 */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function refused(status: 401 | 405, code: 'unauthenticated' | 'method_not_allowed'): Response {
  const headers: Record<string, string> = { 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="launchproof-metrics"';
  if (status === 405) headers.allow = 'GET, HEAD';
  return new Response(JSON.stringify(problemDocument(code, status, crypto.randomUUID())), { status, headers });
}

/**
 * GET /metrics in the Prometheus text format. With a token, only `Authorization: Bearer TOKEN`
 * is answered; without one (only ever on the loopback metrics listener, see serve.ts) anyone who
 * can reach the socket is. Not a Hono route: it is not part of the public API or /openapi.json.
 */
export function metricsEndpoint(
  scrape: () => Promise<{ contentType: string; body: string }>,
  token: string | undefined,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refused(405, 'method_not_allowed');
    if (token !== undefined) {
      const match = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '');
      if (!match || !sameToken(match[1]!, token)) return refused(401, 'unauthenticated');
    }
    const { contentType, body } = await scrape();
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { 'content-type': contentType, 'cache-control': 'no-store' },
    });
  };
}
