import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { issuerIdentity } from '../../did/issuer-identity.ts';
import { createTenant, listTenants, requireTenant, type Tenant } from '../../tenants/tenants.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, CreateTenantBody, problem, TenantParam, TenantSchema } from '../schemas.ts';

export function tenantView(deps: AppDeps, t: Tenant): z.infer<typeof TenantSchema> {
  const id = issuerIdentity(deps.config.publicUrl, t.id);
  return {
    id: t.id,
    name: t.name,
    did: id.did,
    issuer: id.issuerUrl,
    key_policy: t.keyPolicy,
    log_subjects: t.logSubjects,
    created_at: t.createdAt.toISOString(),
  };
}

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed') };

export function registerTenants(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tenants',
      tags: ['tenants'],
      summary: 'Create a tenant with its first signing keys',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['admin'], platformOnly: true })] as const,
      request: { body: { required: true, content: { 'application/json': { schema: CreateTenantBody } } } },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: TenantSchema } } },
        400: problem('Invalid request'),
        409: problem('Tenant exists'),
        ...denied,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { tenant } = await createTenant(
        { db: c.env.db, kek: deps.kek, now: deps.clock(), actor: c.get('principal')!.id },
        {
          id: body.id,
          name: body.name,
          ...(body.key_policy ? { keyPolicy: body.key_policy } : {}),
          ...(body.log_subjects ? { logSubjects: body.log_subjects } : {}),
        },
      );
      c.header('location', `/v1/tenants/${tenant.id}`);
      return c.json(tenantView(deps, tenant), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tenants',
      tags: ['tenants'],
      summary: 'List tenants',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['admin'], platformOnly: true })] as const,
      responses: {
        200: { description: 'Tenants', content: { 'application/json': { schema: z.object({ tenants: z.array(TenantSchema) }) } } },
        ...denied,
      },
    }),
    async (c) => c.json({ tenants: (await listTenants(c.env.db)).map((t) => tenantView(deps, t)) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tenants/{tenant}',
      tags: ['tenants'],
      summary: 'Read one tenant',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['admin', 'auditor'], tenantParam: true })] as const,
      request: { params: TenantParam },
      responses: {
        200: { description: 'Tenant', content: { 'application/json': { schema: TenantSchema } } },
        404: problem('Unknown tenant'),
        ...denied,
      },
    }),
    async (c) => c.json(tenantView(deps, await requireTenant(c.env.db, c.req.valid('param').tenant)), 200),
  );
}
