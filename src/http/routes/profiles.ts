import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { addTenantProfile, findProfile, listProfiles, type ProfileEntry } from '../../attestations/profiles.ts';
import { AppError } from '../../errors/index.ts';
import { profileSchema } from '../../readiness/profile.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { constantDocuments, heldTenantDocument, tenantDocument, type PublicDocument } from '../../projection/documents.ts';
import { lookupTenantId } from '../../tenants/tenants.ts';
import type { Queryable } from '../../store/port.ts';
import type { AppEnv, ServiceDeps } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { servePublic } from '../public-json.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';

const anyJson = z.record(z.string(), z.unknown());
const VersionParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'production-readiness-review' }),
  version: z
    .string()
    .max(32)
    .openapi({ param: { name: 'version', in: 'path' }, example: '1.0.0' }),
});
// A profile version never changes, so caches may keep it for good; the index can change.
const IMMUTABLE_SECONDS = 31_536_000;

const summary = (e: ProfileEntry, base: string) => ({
  id: e.pinned.profile.id,
  version: e.pinned.profile.version,
  title: e.pinned.profile.title,
  origin: e.origin,
  digest: e.pinned.digest,
  url: `${base}/${e.pinned.profile.id}/${e.pinned.profile.version}`,
});
const full = (e: ProfileEntry) => ({
  id: e.pinned.profile.id,
  version: e.pinned.profile.version,
  digest: e.pinned.digest,
  origin: e.origin,
  profile: e.pinned.profile,
});

export function registerProfiles(app: OpenAPIHono<AppEnv>, deps: ServiceDeps, oidc: TokenVerifier | undefined) {
  const origin = deps.config.publicUrl.origin;
  const constant = constantDocuments();
  // The platform index holds built-ins only, the same for the life of the process; a tenant's
  // holds its own too, from the projection (which also answers an unknown tenant).
  // Each with what memory holds for the same path later (servePublic's `again`).
  const served = async (
    c: Context<AppEnv>,
    key: string,
    make: (tx: Queryable, tenant: string | undefined) => Promise<unknown>,
  ): Promise<{ doc: PublicDocument; held: () => PublicDocument | undefined }> => {
    const tenant = c.req.param('tenant');
    if (tenant === undefined) {
      const doc = await constant(key, () => make(c.env.db, undefined));
      return { doc, held: () => doc };
    }
    const tenantId = lookupTenantId(tenant);
    const doc = await tenantDocument(deps.projection, c.env.db, tenantId, `profiles:${key}`, (tx) => make(tx, tenant));
    return { doc, held: () => heldTenantDocument(deps.projection, tenantId, `profiles:${key}`) };
  };
  const maxAge = deps.config.publicCacheSeconds;

  for (const [path, base] of [
    ['/profiles', () => `${origin}/profiles`],
    ['/t/{tenant}/profiles', (t: string) => `${origin}/t/${t}/profiles`],
  ] as const) {
    const tenantRoute = path.startsWith('/t/');
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags: ['public'],
        summary: tenantRoute ? 'Readiness profiles a tenant issues under: the built-ins and its own' : 'Built-in readiness profiles',
        ...(tenantRoute ? { request: { params: TenantParam } } : {}),
        responses: {
          200: { description: 'Profiles with their digests', content: { 'application/json': { schema: anyJson } } },
          404: problem('Unknown tenant'),
        },
      }),
      async (c) => {
        const { doc, held } = await served(c, 'index', async (tx, t) => ({
          profiles: (await listProfiles(tx, t)).map((e) => summary(e, base(t ?? ''))),
        }));
        return servePublic(c, doc, maxAge, {
          again: () => {
            const now = held();
            return now && { doc: now, maxAge };
          },
        }) as never;
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${path}/{id}/{version}`,
        tags: ['public'],
        summary: 'One profile version, immutable, with its SHA-256 (JCS) digest',
        request: { params: tenantRoute ? VersionParams.extend(TenantParam.shape) : VersionParams },
        responses: {
          200: { description: 'The profile', content: { 'application/json': { schema: anyJson } } },
          304: { description: 'Not modified' },
          404: problem('No such profile version'),
        },
      }),
      async (c) => {
        const { id, version } = c.req.valid('param');
        const { doc, held } = await served(c, `${id}@${version}`, async (tx, tenant) => {
          const entry = await findProfile(tx, tenant, id, version);
          if (!entry) throw new AppError('profile_not_found', `no readiness profile ${id}@${version}`);
          return full(entry);
        });
        return servePublic(c, doc, IMMUTABLE_SECONDS, {
          immutable: true,
          again: () => {
            const now = held();
            return now && { doc: now, maxAge: IMMUTABLE_SECONDS, immutable: true };
          },
        }) as never;
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/profiles',
      tags: ['attestations'],
      summary: 'Add a tenant readiness profile version (immutable once added)',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['admin', 'issuer'], tenantParam: true })] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: profileSchema } } } },
      responses: {
        201: { description: 'Added', content: { 'application/json': { schema: anyJson } } },
        400: problem('Invalid profile'),
        409: problem('That version exists'),
        401: problem('No valid credential'),
        403: problem('Not allowed'),
        404: problem('Unknown tenant'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const entry = await withTenant(c.env.db, tenant, (tx) =>
        addTenantProfile(tx, { now: deps.clock(), actor: c.get('principal')!.id }, tenant, c.req.valid('json')),
      );
      c.header('location', `/t/${tenant}/profiles/${entry.pinned.profile.id}/${entry.pinned.profile.version}`);
      return c.json(full(entry), 201);
    },
  );
}
