import type { Context, MiddlewareHandler } from 'hono';
import { findProfile } from '../attestations/profiles.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { localIssuerKeys, localTenantOf } from '../verify/local-keys.ts';
import type { ProfileSource } from '../verify/readiness.ts';
import { localNotices } from '../sharing/notice.ts';
import { verifyCredential, type VerifyEnvironment, type VerifyOptions } from '../verify/pipeline.ts';
import type { VerificationResult } from '../verify/result.ts';
import type { Metrics } from '../metrics/port.ts';
import { cachingStatusLists, localStatusLists, type StatusListCache } from '../verify/status-sources.ts';
import { remoteIssuerKeys } from '../verify/remote/remote-keys.ts';
import { createSafeFetch, createSafeTextFetch } from '../verify/remote/safe-fetch.ts';
import { remoteStatusLists } from '../verify/remote-status.ts';
import { trustPolicy } from '../verify/trust.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { policy, rateLimit } from './middleware/rate-limit.ts';
import { clientAddress } from './client-address.ts';

/**
 * This deployment's tenants' own profile versions, so a credential issued under one has its verdict
 * recomputed as the tenant's trust bundle lets a browser or an auditor recompute it. Built-in
 * profiles need no source.
 */
function localProfiles(db: Database, origin: URL): ProfileSource {
  return async (issuer, id, version) => {
    const tenant = localTenantOf(origin, issuer);
    if (tenant === undefined) return undefined;
    return (await withTenant(db, tenant, (tx) => findProfile(tx, tenant, id, version)))?.pinned.profile;
  };
}

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

export function publicVerifier(deps: AppDeps): PublicVerifier {
  const origin = deps.config.publicUrl;
  const isTrusted = trustPolicy(origin, deps.config.trustedIssuers);
  // Other issuers are reached over the network, never at an address the caller could aim inward.
  const edge = { fetch: (request: Request) => deps.fetch(request), ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}) };
  const remoteKeys = remoteIssuerKeys({ fetchJson: createSafeFetch(edge) });
  // Shared across requests: another issuer's list is fetched once per its ttl, and verified on every use.
  const statusCache: StatusListCache = new Map();
  const remoteLists = cachingStatusLists(remoteStatusLists(createSafeTextFetch(edge)), deps.clock, statusCache);
  const environment = (c: Context<AppEnv>): VerifyEnvironment => ({
    keys: localIssuerKeys(c.env.db, origin, remoteKeys),
    statusLists: localStatusLists({ db: c.env.db, kek: deps.kek, origin, clock: deps.clock }, remoteLists),
    isTrusted,
    notices: localNotices(c.env.db, origin),
    profiles: localProfiles(c.env.db, origin),
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
