import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../auth/api-keys.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { ApiKeySchema, bearerSecurity, CreateApiKeyBody, iso, problem, TenantParam } from '../schemas.ts';

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant or API key') };

const view = (k: ApiKeyInfo): z.infer<typeof ApiKeySchema> => ({
  id: k.id,
  tenant: k.tenantId,
  roles: k.roles,
  label: k.label,
  created_at: k.createdAt.toISOString(),
  revoked_at: iso(k.revokedAt),
});

export function registerApiKeys(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const admin = guard(oidc, { roles: ['admin'], tenantParam: true });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/api-keys',
      tags: ['api-keys'],
      summary: 'Create an API key; its token is shown in this response only',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: CreateApiKeyBody } } } },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: ApiKeySchema.extend({ token: z.string() }) } } },
        400: problem('Invalid request'),
        ...denied,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { key, token } = await createApiKey(
        { db: c.env.db, now: deps.clock(), actor: c.get('principal')!.id },
        { tenantId: c.req.valid('param').tenant, roles: body.roles, ...(body.label !== undefined ? { label: body.label } : {}) },
      );
      c.header('cache-control', 'no-store');
      return c.json({ ...view(key), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/api-keys',
      tags: ['api-keys'],
      summary: 'List API keys (never their secrets)',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: TenantParam },
      responses: {
        200: { description: 'API keys', content: { 'application/json': { schema: z.object({ api_keys: z.array(ApiKeySchema) }) } } },
        ...denied,
      },
    }),
    async (c) => c.json({ api_keys: (await listApiKeys(c.env.db, c.req.valid('param').tenant)).map(view) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/api-keys/{id}/revoke',
      tags: ['api-keys'],
      summary: 'Revoke an API key',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: {
        params: TenantParam.extend({
          id: z
            .string()
            .regex(/^[A-Za-z0-9]{16}$/)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: { description: 'Revoked', content: { 'application/json': { schema: ApiKeySchema } } }, ...denied },
    }),
    async (c) => {
      const { tenant, id } = c.req.valid('param');
      return c.json(view(await revokeApiKey({ db: c.env.db, now: deps.clock(), actor: c.get('principal')!.id }, tenant, id)), 200);
    },
  );
}
