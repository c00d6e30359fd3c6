import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { PROBLEM_MEDIA_TYPE, problemDocument } from '../../errors/index.ts';
import { READINESS_CHECKS, readinessProbe } from '../../health/readiness.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { ProblemSchema } from '../schemas.ts';

const Checks = z.object(Object.fromEntries(READINESS_CHECKS.map((c) => [c, z.enum(['ok', 'failed', 'skipped'])])));

const liveness = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Liveness: the process answers (touches nothing else)',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
  },
});

const readiness = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  summary: 'Readiness: database round trip, schema migrations current, the key-encryption key opens every key that may sign',
  responses: {
    200: {
      description: 'Ready',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok'), checks: Checks }) } },
    },
    503: {
      description: 'Not ready: `checks` names the failing part(s); the reason is logged, never sent',
      content: { 'application/problem+json': { schema: ProblemSchema.extend({ checks: Checks }) } },
    },
  },
});

/**
 * Two probes, because they answer different questions. Liveness restarts a process: it must not
 * fail when the database does, or an outage restarts every instance for nothing. Readiness takes
 * an instance out of rotation until everything a request needs is in place.
 */
export function registerHealth(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const probe = readinessProbe({ kek: deps.kek, migrations: deps.migrations, clock: deps.clock });

  app.openapi(liveness, (c) => {
    c.header('cache-control', 'no-store');
    return c.json({ status: 'ok' as const }, 200);
  });

  app.openapi(readiness, async (c) => {
    const result = await probe(c.env.db);
    c.header('cache-control', 'no-store');
    if (result.ready) return c.json({ status: 'ok' as const, checks: result.checks }, 200);
    deps.log.warn('not ready', {
      request_id: c.get('requestId'),
      failed: READINESS_CHECKS.filter((k) => result.checks[k] === 'failed'),
      reasons: result.reasons,
    });
    const body = { ...problemDocument('not_ready', 503, c.get('requestId')), checks: result.checks };
    return c.json(body, 503, { 'content-type': PROBLEM_MEDIA_TYPE });
  });
}
