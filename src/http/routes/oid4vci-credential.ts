import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { credentialRequestSchema } from '../../oid4vci/credential-request.ts';
import { issueForOffer } from '../../oid4vci/issue-credential.ts';
import { OAuthError } from '../../oid4vci/oauth-error.ts';
import { offerOfAccessToken } from '../../oid4vci/token.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { oauthError, oauthValidationHook } from '../oauth-response.ts';
import { TenantParam } from '../schemas.ts';

const bearer = (header: string | undefined) => /^Bearer +([A-Za-z0-9_-]{1,200})$/i.exec(header ?? '')?.[1];

/** RFC 6750: the access token is checked before the body, so a caller without one learns nothing of its request. */
function requireAccessToken(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const token = bearer(header);
    if (!token) {
      // Nothing that even looks like a Bearer credential: a bare challenge. A malformed one is invalid_token.
      const none = header === undefined || !/^Bearer\b/i.test(header);
      throw new OAuthError('invalid_token', 'a Bearer access token from the token endpoint is required', { noCredential: none });
    }
    await offerOfAccessToken(c.env.db, c.req.param('tenant') ?? '', token, deps.clock());
    // Parsed here (Hono keeps the result for the validator) so that a body which is not JSON gets
    // the error OID4VCI names for it, not the framework's malformed_json problem.
    try {
      await c.req.json();
    } catch {
      throw new OAuthError('invalid_credential_request', 'the request body is not JSON');
    }
    await next();
  };
}

export function registerOid4vciCredential(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/credential',
      tags: ['oid4vci', 'oauth'],
      summary: 'Credential endpoint: the offered credential, bound to the key the proof shows possession of',
      security: [{ oid4vciAccessToken: [] as string[] }],
      middleware: [requireAccessToken(deps)] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: credentialRequestSchema } } } },
      responses: {
        200: {
          description: 'The credential',
          content: { 'application/json': { schema: z.object({ credentials: z.array(z.object({ credential: z.string() })) }) } },
        },
        400: oauthError(
          'invalid_credential_request, unknown_credential_configuration, invalid_proof, invalid_nonce, or credential_request_denied (evidence the attestation relies on has expired)',
        ),
        401: oauthError('invalid_token'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const now = deps.clock();
      // Looked up again: the middleware's answer could be a moment stale.
      const offerId = await offerOfAccessToken(c.env.db, tenant, bearer(c.req.header('authorization'))!, now);
      const credential = await issueForOffer(
        { db: c.env.db, kek: deps.kek, origin: deps.config.publicUrl, now, metrics: deps.metrics },
        tenant,
        offerId,
        c.req.valid('json'),
      );
      c.header('cache-control', 'no-store');
      return c.json({ credentials: [{ credential }] }, 200);
    },
    oauthValidationHook('invalid_credential_request'),
  );
}
