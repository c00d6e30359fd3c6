import { OpenAPIHono } from '@hono/zod-openapi';
import { createOidcVerifier } from '../auth/oidc.ts';
import { AppError } from '../errors/index.ts';
import type { AppDeps, AppEnv, KeyLimits, ServiceDeps } from './context.ts';
import { Projection } from '../projection/projection.ts';
import { logSequencerFor } from '../use-cases/log-sequencer.ts';
import { allowedMethods } from './allowed-methods.ts';
import { accessLog } from './middleware/access-log.ts';
import { openCors } from './middleware/cors.ts';
import { requestMetrics } from './middleware/metrics.ts';
import { noMetrics } from '../metrics/port.ts';
import { policy, rateLimit } from './middleware/rate-limit.ts';
import { clientAddress } from './client-address.ts';
import { limitBody, requireJsonBody } from './middleware/json-body.ts';
import { refuseDeepJson } from './middleware/json-depth.ts';
import { refuseNulCharacters } from './middleware/refuse-nul.ts';
import { requestId } from './middleware/request-id.ts';
import { securityFields, securityHeaders } from './middleware/security-headers.ts';
import { HotPaths } from './hot-paths.ts';
import { errorHandler, problemResponse } from './problem-response.ts';
import { jsonPointer } from '../util/json-pointer.ts';
import { registerApiKeys } from './routes/api-keys.ts';
import { registerAuditExports } from './routes/audit-exports.ts';
import { registerWebhooks } from './routes/webhooks.ts';
import { registerAttestations } from './routes/attestations.ts';
import { registerAttestationRecords } from './routes/attestation-records.ts';
import { registerShares } from './routes/shares.ts';
import { registerShareNotices } from './routes/share-notices.ts';
import { registerProfiles } from './routes/profiles.ts';
import { registerPublishedTypes } from './routes/published-types.ts';
import { registerHealth } from './routes/health.ts';
import { registerKeys } from './routes/keys.ts';
import { registerStatus } from './routes/status.ts';
import { registerVerify } from './routes/verify.ts';
import { registerPages } from './routes/pages.ts';
import { registerVcApi } from './routes/vc-api.ts';
import { publicVerifier } from './verifier.ts';
import { registerPresent } from './routes/present.ts';
import { registerTenants } from './routes/tenants.ts';
import { registerTrustBundle } from './routes/trust-bundle.ts';
import { registerLog } from './routes/log.ts';
import { registerApiDocs } from './routes/api-docs.ts';
import { registerAssets } from './routes/assets.ts';
import { registerVerifierHtml } from './routes/verifier-html.ts';
import { registerWellKnown } from './routes/well-known.ts';
import { registerOid4vciCredential } from './routes/oid4vci-credential.ts';
import { registerOid4vciMetadata } from './routes/oid4vci-metadata.ts';
import { registerOid4vciOffers } from './routes/oid4vci-offers.ts';
import { registerOid4vciToken } from './routes/oid4vci-token.ts';

/** Where the public CORS policy applies, and so where OPTIONS is answered (it also goes into `Allow`). */
const PUBLIC_CORS_PATHS = ['/.well-known/*', '/t/*', '/profiles/*', '/profiles', '/types/*', '/schemas/*', '/contexts/*'];

/**
 * The whole HTTP surface, runtime-free. Node and Workers both call `app.fetch(request, { db })`;
 * the same zod schemas validate each request and generate /openapi.json.
 */
export function createApp(appDeps: AppDeps): OpenAPIHono<AppEnv> {
  // Without a runtime that follows changes (Node's serve does), the projection checks each
  // tenant's version at most once per bound before trusting what it holds.
  const deps: ServiceDeps = {
    ...appDeps,
    projection: appDeps.projection ?? new Projection({ clock: appDeps.clock }),
    logSequencer: appDeps.logSequencer ?? logSequencerFor(appDeps.kek, appDeps.config.publicUrl, appDeps.clock),
  };
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === 'json' ? '' : `/${result.target}`;
        throw new AppError('invalid_request', `${result.target} failed validation`, {
          fields: result.error.issues.flatMap((i) =>
            // zod reports unknown members at their parent object (for the body root: path []
            // and pointer ""); the caller needs the pointer of each unknown member itself.
            i.code === 'unrecognized_keys'
              ? i.keys.map((k) => ({ pointer: where + jsonPointer([...i.path, k]), detail: 'Unknown member' }))
              : [{ pointer: where + jsonPointer(i.path), detail: i.message }],
          ),
        });
      }
    },
  });
  const oidc = deps.config.oidc ? createOidcVerifier(deps.config.oidc, deps.fetch, deps.clock) : undefined;

  app.use('*', requestId());
  app.use('*', accessLog(deps.log));
  app.use('*', requestMetrics(deps.metrics ?? noMetrics));
  // Per API key on the operator API (counted by the guard once it knows the key), per client
  // address on everything public. Health probes are never limited.
  const keyLimits: KeyLimits = {
    operator: policy('operator', deps.config.rateLimits.operatorPerMinute),
    issuance: policy('issuance', deps.config.rateLimits.issuancePerMinute),
    unauthenticated: policy('unauthenticated', deps.config.rateLimits.publicPerMinute),
    clientAddress: (c) => clientAddress(c, deps.config.trustProxy),
    clock: deps.clock,
  };
  const publicPolicy = policy('public', deps.config.rateLimits.publicPerMinute);
  const publicLimit = rateLimit(publicPolicy, (c) => clientAddress(c, deps.config.trustProxy), deps.clock);
  const security = { https: deps.config.publicUrl.protocol === 'https:' };
  const hotPaths = new HotPaths({
    log: deps.log,
    metrics: deps.metrics ?? noMetrics,
    securityFields: securityFields(security),
    publicLimit: publicPolicy,
    trustProxy: deps.config.trustProxy,
    clock: deps.clock,
  });
  app.use('*', async (c, next) => {
    c.set('keyLimits', keyLimits);
    c.set('projection', deps.projection);
    c.set('hotPaths', hotPaths);
    if (c.req.path.startsWith('/v1/') || c.req.path === '/healthz' || c.req.path === '/readyz') return next();
    return publicLimit(c, next);
  });
  app.use('*', securityHeaders(security));
  app.use('*', limitBody(deps.config.bodyLimitBytes));
  app.use('*', requireJsonBody(/^(?:\/t\/[^/]+\/token|\/verify)$/));
  app.use('*', refuseDeepJson());
  app.use('*', refuseNulCharacters());
  const publicCors = openCors({
    allowMethods: ['GET', 'HEAD', 'OPTIONS'],
    allowHeaders: ['If-None-Match'],
    exposeHeaders: ['ETag'],
    maxAge: 86_400,
  });
  app.use('/.well-known/*', publicCors);
  // Verifying is public and a browser may do it: registered before the /t/* policy, whose
  // preflight answers first otherwise. Operator POSTs under /t/* stay server-to-server.
  app.use('/t/:tenant/credentials/verify', openCors({ allowMethods: ['POST', 'OPTIONS'], allowHeaders: ['Content-Type'], maxAge: 86_400 }));
  for (const path of PUBLIC_CORS_PATHS) app.use(path, publicCors);

  registerHealth(app, deps);
  registerWellKnown(app, deps);
  registerTenants(app, deps, oidc);
  registerKeys(app, deps, oidc);
  registerApiKeys(app, deps, oidc);
  registerProfiles(app, deps, oidc);
  registerAttestations(app, deps, oidc);
  registerAttestationRecords(app, deps, oidc);
  registerShares(app, deps, oidc);
  registerShareNotices(app, deps);
  registerStatus(app, deps, oidc);
  registerAuditExports(app, deps, oidc);
  registerWebhooks(app, deps, oidc);
  const verifier = publicVerifier(deps);
  registerVerify(app, verifier);
  registerPages(app, deps, verifier);
  registerVcApi(app, deps, oidc, verifier);
  registerPresent(app, deps);
  registerTrustBundle(app, deps);
  registerLog(app, deps, oidc);
  registerAssets(app, deps.webAssets);
  registerVerifierHtml(app, deps);
  registerPublishedTypes(app, deps);
  registerOid4vciMetadata(app, deps);
  registerOid4vciOffers(app, deps, oidc);
  registerOid4vciToken(app, deps);
  registerOid4vciCredential(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An operator API key (lp_...) or, when configured, a JWT from the operator identity provider.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'oid4vciAccessToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token from a tenant’s OID4VCI token endpoint (/t/{tenant}/token).',
  });
  // Last: /openapi.json and /docs document every route registered above.
  registerApiDocs(app, deps);

  const allowOn = allowedMethods(() => app.routes, ['/t/:tenant/credentials/verify', ...PUBLIC_CORS_PATHS]);
  app.notFound((c) => {
    const allow = allowOn(c.req.path);
    // A handler that found nothing calls notFound too: its method is served here, so it is a 404.
    if (!allow || allow.includes(c.req.method)) return problemResponse(c, new AppError('not_found', 'no route'));
    const refused = problemResponse(c, new AppError('method_not_allowed', `${c.req.method} is not served here`));
    refused.headers.set('allow', allow.join(', '));
    return refused;
  });
  app.onError(errorHandler(deps.log));

  // Public documents memory holds are answered before routing (hot-paths.ts says why and how).
  const routed = app.fetch;
  app.fetch = (request, env, executionCtx) => hotPaths.answer(request, env as AppEnv['Bindings']) ?? routed(request, env, executionCtx);
  return app;
}
