import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { didDocument, jwkSet, jwtVcIssuerMetadata } from '../../did/documents.ts';
import { issuerIdentity, type IssuerIdentity } from '../../did/issuer-identity.ts';
import { AppError } from '../../errors/index.ts';
import { listKeys } from '../../keys/key-store.ts';
import { publishedKeys, type KeyRecord } from '../../keys/lifecycle.ts';
import { inExistingTenant } from '../../tenants/tenants.ts';
import { PLATFORM_TENANT_ID } from '../../tenants/tenant-id.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { publicJson } from '../public-json.ts';
import { problem, TenantParam } from '../schemas.ts';

type Builder = (identity: IssuerIdentity, keys: readonly KeyRecord[]) => unknown;

const json = (description: string) => ({ description, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } });

/** The three public documents, each for the platform and for a tenant. */
const DOCUMENTS: { name: string; summary: string; platformPath: string; tenantPath: string; build: Builder }[] = [
  {
    name: 'did',
    summary: 'did:web DID document',
    platformPath: '/.well-known/did.json',
    tenantPath: '/t/{tenant}/did.json',
    build: didDocument,
  },
  {
    name: 'jwks',
    summary: 'JWK Set of the published signing keys',
    platformPath: '/.well-known/jwks.json',
    tenantPath: '/t/{tenant}/jwks.json',
    build: (_i, k) => jwkSet(k),
  },
  {
    name: 'jwt-vc-issuer',
    summary: 'SD-JWT VC issuer metadata',
    platformPath: '/.well-known/jwt-vc-issuer',
    tenantPath: '/.well-known/jwt-vc-issuer/t/{tenant}',
    build: jwtVcIssuerMetadata,
  },
];

export function registerWellKnown(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  async function serve(c: Context<AppEnv>, tenantId: string, build: Builder) {
    const keys = await inExistingTenant(c.env.db, tenantId, (tx) => listKeys(tx, tenantId), { allowPlatform: true });
    const identity = issuerIdentity(deps.config.publicUrl, tenantId);
    return publicJson(c, build(identity, publishedKeys(keys, deps.clock())), deps.config.publicCacheSeconds);
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
      (c) => serve(c, PLATFORM_TENANT_ID, doc.build) as never,
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
        return serve(c, tenantId, doc.build) as never;
      },
    );
  }
}
