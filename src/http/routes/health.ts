import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../context.ts';
import { problem } from '../schemas.ts';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Liveness and storage reachability',
  responses: {
    200: { description: 'Serving', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
    503: problem('Storage unreachable'),
  },
});

export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    try {
      // A health check that does not touch storage would report a service that cannot answer anything.
      await c.env.db.query('select 1');
    } catch (cause) {
      throw new AppError('storage_unavailable', 'health check query failed', { cause });
    }
    c.header('cache-control', 'no-store');
    return c.json({ status: 'ok' as const }, 200);
  });
}
