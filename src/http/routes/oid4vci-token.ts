import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { PRE_AUTHORIZED_CODE_GRANT } from '../../oid4vci/configurations.ts';
import { issueNonce } from '../../oid4vci/nonces.ts';
import { OAuthError } from '../../oid4vci/oauth-error.ts';
import { redeemPreAuthorizedCode } from '../../oid4vci/token.ts';
import { inExistingTenant } from '../../tenants/tenants.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { oauthError, oauthValidationHook } from '../oauth-response.ts';
import { problem, TenantParam } from '../schemas.ts';

/** The form parameters of RFC 6749 §4.1.3 as OID4VCI 1.0 §6.1 uses them; others (client_id) are ignored. */
const TokenForm = z.looseObject({
  grant_type: z.string().max(200),
  'pre-authorized_code': z.string().max(200).optional(),
  tx_code: z.string().max(64).optional(),
});

export function registerOid4vciToken(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/token',
      tags: ['oid4vci', 'oauth'],
      summary: 'Token endpoint: a pre-authorized code (and its tx_code) for an access token, once',
      request: {
        params: TenantParam,
        body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: TokenForm } } },
      },
      responses: {
        200: {
          description: 'Access token',
          content: {
            'application/json': {
              schema: z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() }),
            },
          },
        },
        400: oauthError('invalid_request, invalid_grant or unsupported_grant_type'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const form = c.req.valid('form');
      if (form.grant_type !== PRE_AUTHORIZED_CODE_GRANT)
        throw new OAuthError('unsupported_grant_type', 'only the pre-authorized code grant is supported');
      const code = form['pre-authorized_code'];
      if (!code) throw new OAuthError('invalid_request', 'pre-authorized_code is required');
      const out = await redeemPreAuthorizedCode(c.env.db, tenant, { preAuthorizedCode: code, txCode: form.tx_code }, deps.clock());
      c.header('cache-control', 'no-store');
      return c.json({ access_token: out.accessToken, token_type: 'Bearer' as const, expires_in: out.expiresIn }, 200);
    },
    oauthValidationHook('invalid_request'),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/nonce',
      tags: ['oid4vci'],
      summary: 'Nonce endpoint: a fresh c_nonce for one proof of possession',
      request: { params: TenantParam },
      responses: {
        200: { description: 'A c_nonce, single use', content: { 'application/json': { schema: z.object({ c_nonce: z.string() }) } } },
        404: problem('Unknown tenant'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const { nonce } = await inExistingTenant(c.env.db, tenant, (tx) => issueNonce(tx, tenant, deps.clock()));
      // OID4VCI 1.0 §7.2: a nonce response must not be cached, or two wallets would share one.
      c.header('cache-control', 'no-store');
      return c.json({ c_nonce: nonce }, 200);
    },
  );
}
