import { localTenantOf } from '../verify/local-tenant.ts';
import { verifyCredential, type VerifyEnvironment } from '../verify/pipeline.ts';
import { VerificationFailure } from '../verify/result.ts';
import { openTrustBundle, TrustBundleError } from '../verify/trust-bundle.ts';
import { credentialIssuer } from './credential-issuer.ts';
import { BROWSER_SKEW_SECONDS, browserEnvironment, type LiveDeps } from './environment.ts';
import { FRESH } from './live-sources.ts';
import type { BrowserOutcome } from './outcome.ts';
import { reportInput } from './report-input.ts';

/**
 * For a credential whose issuer cannot even be read: the pipeline stops at its form before it
 * asks for anything, and this says so should it ever ask.
 */
function nothingToAsk(now: Date): VerifyEnvironment {
  const refuse = () => Promise.reject(new VerificationFailure('issuer_key', 'unresolvable_issuer', 'the credential names no issuer'));
  return {
    keys: { fromDid: refuse, fromIssuerMetadata: refuse },
    statusLists: { fetch: refuse },
    isTrusted: () => false,
    now,
    skewSeconds: BROWSER_SKEW_SECONDS,
  };
}

/**
 * Verifies a credential in the page, with the issuer's trust bundle from this site and its live
 * status lists. Credentials of issuers that are not this site's are not verified here: their
 * keys and lists would have to be fetched from wherever the credential points.
 */
export async function verifyOnline(input: unknown, deps: LiveDeps): Promise<BrowserOutcome> {
  const now = deps.clock();
  const issuer = credentialIssuer(input);
  if (issuer === undefined) {
    const result = await verifyCredential(input, nothingToAsk(now));
    return { kind: 'judged', result, report: reportInput(result, now, 'browser') };
  }
  const tenant = localTenantOf(deps.origin, issuer);
  if (tenant === undefined) return { kind: 'elsewhere', issuer };

  let text: string;
  try {
    const res = await deps.fetch(`${deps.origin.origin}/t/${encodeURIComponent(tenant)}/trust-bundle.json`, FRESH);
    if (res.status === 404 || res.status === 400) return { kind: 'unknown_issuer', issuer };
    if (!res.ok) return { kind: 'unreachable', detail: `the site answered ${res.status} for the issuer's trust bundle` };
    text = await res.text();
  } catch {
    return { kind: 'unreachable', detail: 'the issuer’s trust bundle could not be fetched from this site' };
  }
  let bundle;
  try {
    ({ bundle } = await openTrustBundle(text));
  } catch (e) {
    if (e instanceof TrustBundleError) return { kind: 'bundle_unusable', code: e.code, detail: e.message };
    throw e;
  }
  const result = await verifyCredential(input, browserEnvironment(bundle, { ...deps, clock: () => now }));
  return { kind: 'judged', result, report: reportInput(result, now, 'browser', bundle) };
}
