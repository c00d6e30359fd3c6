import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { offerRequestSchema } from '../../oid4vci/offer-request.ts';
import { createOffer, offerDocument } from '../../oid4vci/offers.ts';
import { qrSvg } from '../../oid4vci/qr.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { inExistingTenant } from '../../tenants/tenants.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { CredentialOfferSchema } from '../issuance-schemas.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';

const OfferCreated = z
  .object({
    id: z.string(),
    credential_offer: CredentialOfferSchema,
    credential_offer_uri: z.string(),
    offer_uri: z.string(),
    offer_uri_by_reference: z.string(),
    tx_code: z.string().nullable(),
    expires_at: z.string(),
    qr_svg: z.string(),
  })
  .openapi('CredentialOfferCreated');

export function registerOid4vciOffers(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/offers',
      tags: ['oid4vci'],
      summary: 'Offer an assessment’s attestation to a wallet (OID4VCI pre-authorized code); the tx_code is shown only here',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['issuer'], tenantParam: true, limit: 'issuance' })] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: offerRequestSchema } } } },
      responses: {
        201: { description: 'The offer, its URIs, its QR code and its tx_code', content: { 'application/json': { schema: OfferCreated } } },
        400: problem('Invalid request'),
        401: problem('No valid credential'),
        403: problem('Not allowed'),
        404: problem('Unknown tenant or assessment'),
        422: problem('The assessment does not add up'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const now = deps.clock();
      const made = await withTenant(c.env.db, tenant, (tx) =>
        createOffer(tx, { origin: deps.config.publicUrl, now, actor: c.get('principal')!.id }, tenant, c.req.valid('json')),
      );
      c.header('cache-control', 'no-store');
      return c.json(
        {
          id: made.id,
          credential_offer: made.offer,
          credential_offer_uri: made.credentialOfferUri,
          offer_uri: made.offerUri,
          offer_uri_by_reference: made.offerByReferenceUri,
          tx_code: made.txCode ?? null,
          expires_at: made.expiresAt.toISOString(),
          qr_svg: qrSvg(made.offerUri),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/offers/{ref}',
      tags: ['oid4vci'],
      summary: 'A credential offer by reference (credential_offer_uri), while it can be redeemed',
      request: {
        params: TenantParam.extend({
          ref: z
            .string()
            .regex(/^[A-Za-z0-9_-]{43}$/)
            .openapi({ param: { name: 'ref', in: 'path' } }),
        }),
      },
      responses: {
        200: { description: 'The credential offer object', content: { 'application/json': { schema: CredentialOfferSchema } } },
        400: problem('Not an offer reference'),
        404: problem('Unknown tenant, or no open offer'),
      },
    }),
    async (c) => {
      const { tenant, ref } = c.req.valid('param');
      const offer = await inExistingTenant(c.env.db, tenant, (tx) => offerDocument(tx, tenant, ref, deps.clock()));
      // It holds a redeemable code: no cache may keep it.
      c.header('cache-control', 'no-store');
      return c.json(offer, 200);
    },
  );
}
