import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { issuerIdentity } from '../../did/issuer-identity.ts';
import { keyLifecycleJson } from '../../keys/history-json.ts';
import { listKeys } from '../../keys/key-store.ts';
import { keyState, type KeyRecord } from '../../keys/lifecycle.ts';
import { rotateNow, setKeyPolicy, type RotationContext } from '../../keys/rotation.ts';
import { publishBeforeResponse } from '../publish-before-response.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { requireTenant } from '../../tenants/tenants.ts';
import { rotateLogKey } from '../../use-cases/log-key-rotation.ts';
import { revokeKey } from '../../use-cases/revoke-key.ts';
import type { Context } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, KeyPolicySchema, problem, RevokeKeyBody, SigningKeySchema, TenantParam } from '../schemas.ts';

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant or key') };

export function registerKeys(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const view = (k: KeyRecord, now: Date): z.infer<typeof SigningKeySchema> => ({
    ...keyLifecycleJson(k),
    state: keyState(k, now),
    did_url: `${issuerIdentity(deps.config.publicUrl, k.tenantId).did}#${k.kid}`,
    public_jwk: { ...k.publicJwk },
  });
  const ctx = (c: Context<AppEnv>): RotationContext => ({
    db: c.env.db,
    kek: deps.kek,
    now: deps.clock(),
    actor: c.get('principal')!.id,
    metrics: deps.metrics,
  });
  const keyList = z.object({ keys: z.array(SigningKeySchema) });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/keys',
      tags: ['keys'],
      summary: 'The full key history with each key’s lifecycle',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['keys', 'auditor'], tenantParam: true })] as const,
      request: { params: TenantParam },
      responses: { 200: { description: 'Keys', content: { 'application/json': { schema: keyList } } }, ...denied },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const now = deps.clock();
      const keys = await withTenant(c.env.db, tenant, (tx) => listKeys(tx, tenant));
      return c.json({ keys: keys.map((k) => view(k, now)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/keys/rotate',
      tags: ['keys'],
      summary: 'Rotate now: the waiting key starts signing',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['keys'], tenantParam: true })] as const,
      request: { params: TenantParam },
      responses: {
        200: {
          description: 'Rotated',
          content: { 'application/json': { schema: z.object({ active: z.string(), next: z.string(), retired: z.string().nullable() }) } },
        },
        ...denied,
      },
    }),
    async (c) => {
      const out = await rotateNow(ctx(c), c.req.valid('param').tenant);
      return c.json({ active: out.activeKid, next: out.nextKid, retired: out.retiredKid ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/log/key/rotate',
      tags: ['keys'],
      summary: 'Replace the transparency log’s key; the old one stays published',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['keys'], tenantParam: true })] as const,
      request: { params: TenantParam },
      responses: {
        200: {
          description: 'Rotated: the log’s current checkpoint is now signed by the new key and the retired one',
          content: {
            'application/json': {
              schema: z.object({
                kid: z.string(),
                retired_kid: z.string().nullable(),
                verifier_key: z.string(),
                size: z.number().int(),
              }),
            },
          },
        },
        ...denied,
      },
    }),
    async (c) => {
      const out = await rotateLogKey(
        { db: c.env.db, kek: deps.kek, publicUrl: deps.config.publicUrl, now: deps.clock(), actor: c.get('principal')!.id },
        c.req.valid('param').tenant,
      );
      return c.json({ kid: out.kid, retired_kid: out.retiredKid, verifier_key: out.verifierKey, size: out.size }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/keys/{kid}/revoke',
      tags: ['keys'],
      summary: 'Revoke a compromised key: unpublished at once',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['keys'], tenantParam: true })] as const,
      request: {
        params: TenantParam.extend({
          kid: z
            .string()
            .regex(/^[A-Za-z0-9_-]{43}$/)
            .openapi({ param: { name: 'kid', in: 'path' } }),
        }),
        body: { required: true, content: { 'application/json': { schema: RevokeKeyBody } } },
      },
      responses: {
        200: {
          description: 'Revoked, with the number of credentials it signed that were revoked with it',
          content: { 'application/json': { schema: SigningKeySchema.extend({ credentials_revoked: z.number().int() }) } },
        },
        400: problem('Invalid request'),
        409: problem('Already revoked'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, kid } = c.req.valid('param');
      const context = ctx(c);
      const { key, credentials, lists } = await revokeKey(context, tenant, kid, c.req.valid('json').reason);
      await publishBeforeResponse(c, deps, tenant, lists);
      return c.json({ ...view(key, context.now), credentials_revoked: credentials.changed.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/key-policy',
      tags: ['keys'],
      summary: 'The tenant’s key policy',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['keys', 'auditor'], tenantParam: true })] as const,
      request: { params: TenantParam },
      responses: { 200: { description: 'Policy', content: { 'application/json': { schema: KeyPolicySchema } } }, ...denied },
    }),
    async (c) => c.json((await requireTenant(c.env.db, c.req.valid('param').tenant)).keyPolicy, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/t/{tenant}/key-policy',
      tags: ['keys'],
      summary: 'Replace the key policy (applies to keys generated from now on)',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['keys'], tenantParam: true })] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: KeyPolicySchema } } } },
      responses: {
        200: { description: 'Policy', content: { 'application/json': { schema: KeyPolicySchema } } },
        400: problem('Invalid policy'),
        ...denied,
      },
    }),
    async (c) => c.json(await setKeyPolicy(ctx(c), c.req.valid('param').tenant, c.req.valid('json')), 200),
  );
}
