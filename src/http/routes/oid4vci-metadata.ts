import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { authorizationServerMetadata, credentialIssuerMetadata } from '../../oid4vci/metadata.ts';
import { heldTenantDocument, tenantDocument } from '../../projection/documents.ts';
import { lookupTenantId, tenantById } from '../../tenants/tenants.ts';
import type { AppEnv, ServiceDeps } from '../context.ts';
import { servePublic } from '../public-json.ts';
import { problem, TenantParam } from '../schemas.ts';

const json = (description: string) => ({ description, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } });

/** OID4VCI 1.0 §12.2 issuer metadata and RFC 8414 authorization server metadata, per tenant. */
export function registerOid4vciMetadata(app: OpenAPIHono<AppEnv>, deps: ServiceDeps) {
  const origin = deps.config.publicUrl;
  const maxAge = deps.config.publicCacheSeconds;
  const again = (tenant: string, key: string) => () => {
    const held = heldTenantDocument(deps.projection, tenant, key);
    return held && { doc: held, maxAge };
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/openid-credential-issuer/t/{tenant}',
      tags: ['oid4vci'],
      summary: 'OpenID4VCI credential issuer metadata of a tenant',
      request: { params: TenantParam },
      responses: { 200: json('Credential issuer metadata'), 304: { description: 'Not modified' }, 404: problem('Unknown tenant') },
    }),
    async (c) => {
      const tenant = lookupTenantId(c.req.valid('param').tenant);
      const doc = await tenantDocument(deps.projection, c.env.db, tenant, 'openid-credential-issuer', async (tx) => {
        // The projection has checked the tenant exists in this same transaction.
        const found = (await tenantById(tx, tenant))!;
        return credentialIssuerMetadata(origin, tenant, found.name, found.keyPolicy);
      });
      return servePublic(c, doc, maxAge, { again: again(tenant, 'openid-credential-issuer') }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/oauth-authorization-server/t/{tenant}',
      tags: ['oid4vci'],
      summary: 'OAuth 2.0 authorization server metadata (RFC 8414) of a tenant’s token endpoint',
      request: { params: TenantParam },
      responses: { 200: json('Authorization server metadata'), 304: { description: 'Not modified' }, 404: problem('Unknown tenant') },
    }),
    async (c) => {
      const tenant = lookupTenantId(c.req.valid('param').tenant);
      const doc = await tenantDocument(deps.projection, c.env.db, tenant, 'oauth-authorization-server', async () =>
        authorizationServerMetadata(origin, tenant),
      );
      return servePublic(c, doc, maxAge, { again: again(tenant, 'oauth-authorization-server') }) as never;
    },
  );
}
