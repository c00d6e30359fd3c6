import type { Context, MiddlewareHandler } from 'hono';
import { whenAbsent } from '../errors/index.ts';
import { keyHistory, listForms, notice, tenantProfile } from '../projection/verification.ts';
import { localIssuerKeys, localTenantOf } from '../verify/local-keys.ts';
import { verifyCredential, type VerifyEnvironment, type VerifyOptions } from '../verify/pipeline.ts';
import type { VerificationResult } from '../verify/result.ts';
import type { Metrics } from '../metrics/port.ts';
import { cachingStatusLists, localStatusLists, type StatusListCache } from '../verify/status-sources.ts';
import { remoteIssuerKeys } from '../verify/remote/remote-keys.ts';
import { createSafeFetch, createSafeTextFetch } from '../verify/remote/safe-fetch.ts';
import { remoteStatusLists } from '../verify/remote-status.ts';
import { trustPolicy } from '../verify/trust.ts';
import type { AppEnv, ServiceDeps } from './context.ts';
import { policy, rateLimit } from './middleware/rate-limit.ts';
import { clientAddress } from './client-address.ts';

/** What every public verification route shares: one rate-limit budget per client and one status-list cache. */
export interface PublicVerifier {
  readonly limit: MiddlewareHandler<AppEnv>;
  environment(c: Context<AppEnv>): VerifyEnvironment;
  /** Runs the pipeline in `env` (default: this request's) and counts the outcome. */
  verify(c: Context<AppEnv>, input: unknown, options?: VerifyOptions, env?: VerifyEnvironment): Promise<VerificationResult>;
}

/**
 * The outcome by the first failed check's stable code (`ok` when verified): a closed vocabulary
 * in practice, capped anyway, so a code that ever carried data could not grow the label set.
 */
function countOutcome(metrics: Metrics, result: VerificationResult): void {
  const failed = result.checks.find((check) => !check.ok);
  const reason = failed ? (/^[a-z][a-z0-9_]{0,47}$/.test(failed.code) ? failed.code : 'other') : 'ok';
  metrics.record({ kind: 'verified', outcome: result.verified ? 'verified' : 'not_verified', reason });
}

/** An issuer URL naming a tenant that does not exist has no notices or profiles: the key check reports it. */
const noneThere = () => undefined;

export function publicVerifier(deps: ServiceDeps): PublicVerifier {
  const origin = deps.config.publicUrl;
  const isTrusted = trustPolicy(origin, deps.config.trustedIssuers);
  // Other issuers are reached over the guarded edge, never at an address the caller could aim inward.
  const edge = { fetch: deps.outbound ?? ((request: Request) => deps.fetch(request)) };
  const remoteKeys = remoteIssuerKeys({ fetchJson: createSafeFetch(edge) });
  // Shared across requests: another issuer's list is fetched once per its ttl, and verified on every use.
  const statusCache: StatusListCache = new Map();
  const remoteLists = cachingStatusLists(remoteStatusLists(createSafeTextFetch(edge)), deps.clock, statusCache);
  const { projection } = deps;
  // This deployment's own issuers are read from the projection: no key-encryption key, no signing
  // and no write on this public path, and no round trip once the projection holds what it needs.
  const environment = (c: Context<AppEnv>): VerifyEnvironment => ({
    keys: localIssuerKeys(origin, (tenant) => keyHistory(projection, c.env.db, tenant), remoteKeys),
    statusLists: localStatusLists(origin, (tenant, list) => listForms(projection, c.env.db, tenant, list), remoteLists),
    isTrusted,
    // Notices of other issuers are not fetched: a notice only explains a status, and a caller-named
    // URL is not worth a request on the public verification path.
    notices: async (issuer, credentialId) => {
      const tenant = localTenantOf(origin, issuer);
      return tenant === undefined ? undefined : whenAbsent(() => notice(projection, c.env.db, tenant, credentialId), noneThere);
    },
    // A tenant's own profile versions, so a credential issued under one has its verdict recomputed
    // as the tenant's trust bundle lets a browser or an auditor recompute it. Built-ins need no source.
    profiles: async (issuer, id, version) => {
      const tenant = localTenantOf(origin, issuer);
      return tenant === undefined ? undefined : whenAbsent(() => tenantProfile(projection, c.env.db, tenant, id, version), noneThere);
    },
    now: deps.clock(),
    skewSeconds: deps.config.verifyClockSkewSeconds,
  });
  return {
    // One limiter for every verification route, so a second route is not a second budget.
    limit: rateLimit(policy('verify', deps.config.verifyRateLimitPerMinute), (c) => clientAddress(c, deps.config.trustProxy), deps.clock),
    environment,
    verify: async (c, input, options = {}, env = environment(c)) => {
      const result = await verifyCredential(input, env, options);
      if (deps.metrics) countOutcome(deps.metrics, result);
      return result;
    },
  };
}
