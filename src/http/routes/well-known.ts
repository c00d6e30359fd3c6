import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError } from '../../errors/index.ts';
import { heldKeyDocument, keyDocument, type KeyDocumentName } from '../../projection/documents.ts';
import { PLATFORM_TENANT_ID } from '../../tenants/tenant-id.ts';
import { lookupTenantId } from '../../tenants/tenants.ts';
import type { AppEnv, ServiceDeps } from '../context.ts';
import { servePublic } from '../public-json.ts';
import { problem, TenantParam } from '../schemas.ts';

const json = (description: string) => ({ description, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } });

/** The three public documents, each for the platform and for a tenant. */
const DOCUMENTS: { name: KeyDocumentName; summary: string; platformPath: string; tenantPath: string }[] = [
  {
    name: 'did',
    summary: 'did:web DID document',
    platformPath: '/.well-known/did.json',
    tenantPath: '/t/{tenant}/did.json',
  },
  {
    name: 'jwks',
    summary: 'JWK Set of the published signing keys',
    platformPath: '/.well-known/jwks.json',
    tenantPath: '/t/{tenant}/jwks.json',
  },
  {
    name: 'jwt-vc-issuer',
    summary: 'SD-JWT VC issuer metadata',
    platformPath: '/.well-known/jwt-vc-issuer',
    tenantPath: '/.well-known/jwt-vc-issuer/t/{tenant}',
  },
];

export function registerWellKnown(app: OpenAPIHono<AppEnv>, deps: ServiceDeps) {
  const documentDeps = { origin: deps.config.publicUrl, clock: deps.clock };
  const maxAge = deps.config.publicCacheSeconds;
  async function serve(c: Context<AppEnv>, tenantId: string, name: KeyDocumentName) {
    const tenant = lookupTenantId(tenantId, { allowPlatform: true });
    const doc = await keyDocument(deps.projection, c.env.db, documentDeps, tenant, name);
    return servePublic(c, doc, maxAge, {
      again: () => {
        const held = heldKeyDocument(deps.projection, tenant, name);
        return held && { doc: held, maxAge };
      },
    });
  }

  for (const doc of DOCUMENTS) {
    app.openapi(
      createRoute({
        method: 'get',
        path: doc.platformPath,
        tags: ['public'],
        summary: `${doc.summary} (platform)`,
        responses: { 200: json(doc.summary), 304: { description: 'Not modified' } },
      }),
      (c) => serve(c, PLATFORM_TENANT_ID, doc.name) as never,
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: doc.tenantPath,
        tags: ['public'],
        summary: `${doc.summary} (tenant)`,
        request: { params: TenantParam },
        responses: { 200: json(doc.summary), 304: { description: 'Not modified' }, 404: problem('Unknown tenant') },
      }),
      (c) => {
        const tenantId = c.req.param('tenant') ?? '';
        // `_platform` is not a tenant: its documents live only at /.well-known/, where the URL
        // and the document's DID (did:web:HOST) agree. Served under /t/_platform/ they would
        // claim did:web:HOST at the URL of did:web:HOST:t:_platform.
        if (tenantId === PLATFORM_TENANT_ID) throw new AppError('tenant_not_found', 'the platform is not a tenant');
        return serve(c, tenantId, doc.name) as never;
      },
    );
  }
}
