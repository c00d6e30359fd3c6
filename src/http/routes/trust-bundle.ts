import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { buildTrustBundle } from '../../verify/trust-bundle-build.ts';
import { TRUST_BUNDLE_MEDIA_TYPE } from '../../verify/trust-bundle.ts';
import type { AppEnv, ServiceDeps } from '../context.ts';
import { publicJson } from '../public-json.ts';
import { problem, TenantParam } from '../schemas.ts';

/**
 * Five minutes: long enough that a burst of auditors is served from caches, short enough that a
 * revocation reaches the next bundle soon. The bundle says when it was made, so a cached copy is
 * never mistaken for a newer one.
 */
const TRUST_BUNDLE_MAX_AGE_SECONDS = 300;

const SignedBundle = z.object({ protected: z.string(), payload: z.string(), signature: z.string() }).openapi('TrustBundle', {
  description:
    'A JWS in the flattened JSON serialisation (RFC 7515 §7.2.2), typ launchproof-trust-bundle+json, signed by the tenant’s active key; ' +
    'the payload is the LaunchproofTrustBundle: DID document, full key history, current status lists, profiles used, issuer metadata, ' +
    'and (optional member `log`) the tenant’s transparency log: its origin, latest signed checkpoint (C2SP signed note), every log key ' +
    '(kid, public_jwk, verifier_key, created_at, retired_at) and the exact text of every entry the checkpoint covers, from which the root is recomputed.',
});

export function registerTrustBundle(app: OpenAPIHono<AppEnv>, deps: ServiceDeps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/trust-bundle.json',
      tags: ['public'],
      summary: 'Signed snapshot of everything needed to verify the tenant’s credentials offline',
      request: { params: TenantParam },
      responses: {
        200: { description: 'The trust bundle', content: { [TRUST_BUNDLE_MEDIA_TYPE]: { schema: SignedBundle } } },
        304: { description: 'Not modified' },
        404: problem('Unknown tenant'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const signed = await buildTrustBundle(c.env.db, {
        tenantId: tenant,
        origin: deps.config.publicUrl,
        kek: deps.kek,
        now: deps.clock(),
        sequencer: deps.logSequencer(c.env.db),
      });
      return publicJson(c, signed, TRUST_BUNDLE_MAX_AGE_SECONDS, TRUST_BUNDLE_MEDIA_TYPE) as never;
    },
  );
}
