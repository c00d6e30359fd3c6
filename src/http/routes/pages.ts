import { credentialFromText } from '../../verify/credential-text.ts';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findProfile } from '../../attestations/profiles.ts';
import { AppError } from '../../errors/index.ts';
import { openShare } from '../../sharing/shares.ts';
import type { Profile } from '../../readiness/profile.ts';
import { findBuiltinProfile } from '../../readiness/registry.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { findTenant } from '../../tenants/tenants.ts';
import { localTenantOf } from '../../verify/local-keys.ts';
import type { VerificationResult } from '../../verify/result.ts';
import { renderErrorPage } from '../../pages/error-page.ts';
import { renderHomePage } from '../../pages/home-page.ts';
import { errorPageResponse, htmlResponse } from '../../pages/page-response.ts';
import { renderReport } from '../../pages/report.ts';
import { reportFacts } from '../../pages/report-facts.ts';
import { renderSharePage } from '../../pages/share-page.ts';
import { checkpointUrl, logKeyUrl } from '../../transparency/urls.ts';
import { SITE_CSS } from '../../pages/site-css.ts';
import { renderVerifyPage } from '../../pages/verify-page.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import type { PublicVerifier } from '../verifier.ts';

const STATIC_PAGE_SECONDS = 300;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

// Share tokens are base64url; anything else cannot be one, and is not looked up.

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const ShareParam = z.object({ token: z.string().openapi({ param: { name: 'token', in: 'path' } }) });

/** The issuing tenant's name and the cited profile, when this deployment knows them: the report says who, not only which DID. */
async function reportContext(c: Context<AppEnv>, deps: AppDeps, result: VerificationResult, knownName?: string) {
  const tenant = result.issuer ? localTenantOf(deps.config.publicUrl, result.issuer) : undefined;
  const issuerName = knownName ?? (tenant ? (await findTenant(c.env.db, tenant))?.name : undefined);
  const cited = reportFacts(result).profile;
  let profile: Profile | undefined;
  if (typeof cited.id === 'string' && typeof cited.version === 'string') {
    const { id, version } = cited as { id: string; version: string };
    profile =
      findBuiltinProfile(id, version) ??
      (tenant ? (await withTenant(c.env.db, tenant, (tx) => findProfile(tx, tenant, id, version)))?.pinned.profile : undefined);
  }
  return { ...(issuerName ? { issuerName } : {}), ...(profile ? { profile } : {}) };
}

async function serverReport(c: Context<AppEnv>, deps: AppDeps, verifier: PublicVerifier, credential: string, knownName?: string) {
  const env = verifier.environment(c);
  const result = await verifier.verify(c, credentialFromText(credential), {}, env);
  const report = renderReport({ result, judgedAt: env.now, where: 'server', ...(await reportContext(c, deps, result, knownName)) });
  return { result, report };
}

/**
 * The buyer's pages: what this is, the verification page (which the browser script enhances),
 * its no-JavaScript form post, and share links. Pages only map a request to a rendering; the
 * verdict is the one pipeline's, the HTML is src/pages'.
 */
export function registerPages(app: OpenAPIHono<AppEnv>, deps: AppDeps, verifier: PublicVerifier) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['pages'],
      summary: 'What this service is, for a buyer',
      responses: { 200: html('Home page') },
    }),
    () => htmlResponse(renderHomePage(), 200, { maxAge: STATIC_PAGE_SECONDS }) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/assets/site.css',
      tags: ['pages'],
      summary: 'The stylesheet of the pages',
      responses: { 200: { description: 'CSS', content: { 'text/css': { schema: z.string() } } } },
    }),
    () =>
      new Response(SITE_CSS, {
        headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': `public, max-age=${STATIC_PAGE_SECONDS}` },
      }) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/verify',
      tags: ['pages'],
      summary: 'The verification page: paste or drop a credential; it is verified in the browser',
      responses: { 200: html('Verification page') },
    }),
    () => htmlResponse(renderVerifyPage(), 200, { maxAge: STATIC_PAGE_SECONDS }) as never,
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/verify',
      tags: ['pages'],
      summary: 'The verification page without JavaScript: verifies on the server and shows the same report',
      description:
        'Takes an HTML form (application/x-www-form-urlencoded) with one field, `credential`; answers a page, 400 when the field is empty. Shares the rate limit of POST /v1/verify.',
      middleware: [verifier.limit] as const,
      responses: {
        200: html('The verification report'),
        400: html('Nothing to verify'),
        413: html('Body too large'),
        415: html('Not a form'),
        429: html('Rate limited'),
      },
    }),
    async (c) => {
      if (!FORM_TYPE.test(c.req.header('content-type') ?? '')) throw new AppError('unsupported_media_type', 'the page takes a form');
      const credential = new URLSearchParams(await c.req.text()).get('credential')?.trim() ?? '';
      if (credential === '') {
        const page = renderVerifyPage({
          problem:
            'There was nothing to verify. Paste the credential’s text into the box, then press Verify. Without JavaScript a chosen file cannot be sent: open it in a text editor and paste its text.',
        });
        return htmlResponse(page, 400) as never;
      }
      const { result, report } = await serverReport(c, deps, verifier, credential);
      const page = renderVerifyPage({
        credential,
        report,
        verdict: result.verified ? 'verified' : 'not-verified',
        how: 'Checked on this service’s server, because your browser ran no script. With JavaScript on, your browser verifies it itself, with the issuer’s trust bundle and live status lists.',
      });
      return htmlResponse(page) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/s/{token}',
      tags: ['pages'],
      summary: 'A share link: the attestation the vendor shared, verified on the page',
      description: 'Each view runs the server pipeline for readers without JavaScript, so it shares the rate limit of POST /v1/verify.',
      middleware: [verifier.limit] as const,
      request: { params: ShareParam },
      responses: {
        200: html('The shared attestation'),
        404: html('No such share link'),
        410: html('The link expired or was withdrawn'),
        429: html('Rate limited'),
      },
    }),
    async (c) => {
      const { token } = c.req.valid('param');
      // A HEAD is a link preview or a scanner checking the link, not a reader: it counts no view.
      const countView = c.req.method === 'GET';
      const shared = await openShare(c.env.db, token, deps.clock(), { countView });
      if (!shared) return errorPageResponse('share_not_found', 404, c.get('requestId')) as never;
      if (shared.kind === 'gone') {
        const expired = shared.why === 'expired';
        const page = renderErrorPage({
          status: 410,
          code: 'share_gone',
          heading: expired ? 'This link has expired' : 'This link was withdrawn',
          message: expired
            ? 'The vendor shared this attestation for a limited time, and that time is over. Ask the vendor for a new link.'
            : 'The vendor has withdrawn this link. Ask the vendor for a new one if you still need it.',
        });
        return htmlResponse(page, 410) as never;
      }
      const { report } = await serverReport(c, deps, verifier, shared.credential, shared.tenantName);
      const page = renderSharePage({
        token,
        tenantName: shared.tenantName,
        label: shared.label,
        credential: shared.credential,
        report,
        origin: deps.config.publicUrl.origin,
        ...(shared.logIndex === null
          ? {}
          : {
              log: {
                index: shared.logIndex,
                checkpointUrl: checkpointUrl(deps.config.publicUrl, shared.tenantId),
                keyUrl: logKeyUrl(deps.config.publicUrl, shared.tenantId),
              },
            }),
      });
      const res = htmlResponse(page);
      // Meant for the people the vendor sent it to: a link that leaks is not also indexed.
      res.headers.set('x-robots-tag', 'noindex, nofollow');
      return res as never;
    },
  );
}
