import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import { renderOfflineVerifier } from '../../pages/offline-verifier.ts';
import { SITE_CSS } from '../../pages/site-css.ts';
import { buildTrustBundle } from '../../verify/trust-bundle-build.ts';
import type { AppEnv, ServiceDeps } from '../context.ts';
import { problem, TenantParam } from '../schemas.ts';

/** As the trust bundle it holds: a revocation reaches the next download within five minutes. */
const VERIFIER_MAX_AGE_SECONDS = 300;

/**
 * The tenant's offline verifier: one HTML file holding its current trust bundle, serialised
 * byte for byte as /t/{tenant}/trust-bundle.json serves it, and the browser build of the
 * pipeline. Downloaded, not shown: it is meant to be kept and opened from disk.
 */
export function registerVerifierHtml(app: OpenAPIHono<AppEnv>, deps: ServiceDeps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/verifier.html',
      tags: ['public'],
      summary: 'A self-contained offline verifier for the tenant’s credentials: one HTML file that makes no network request',
      request: { params: TenantParam },
      responses: {
        200: { description: 'The verifier, as an attachment', content: { 'text/html': { schema: z.string() } } },
        404: problem('Unknown tenant, or a deployment without the browser build'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      if (!deps.webAssets) throw new AppError('not_found', 'this deployment was built without the browser verifier');
      const signed = await buildTrustBundle(c.env.db, {
        tenantId: tenant,
        origin: deps.config.publicUrl,
        kek: deps.kek,
        now: deps.clock(),
        sequencer: deps.logSequencer(c.env.db),
      });
      const verifier = await renderOfflineVerifier({
        bundleText: JSON.stringify(signed),
        script: deps.webAssets.verifyScript,
        css: SITE_CSS,
      });
      return new Response(verifier.html, {
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-disposition': `attachment; filename="${tenant}-verifier.html"`,
          'content-security-policy': verifier.contentSecurityPolicy,
          'cache-control': `public, max-age=${VERIFIER_MAX_AGE_SECONDS}`,
        },
      }) as never;
    },
  );
}
