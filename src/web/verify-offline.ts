import { trustBundleDigest } from '../verify/bundle-digest.ts';
import { bundleEnvironment } from '../verify/bundle-environment.ts';
import { verifyCredential } from '../verify/pipeline.ts';
import { openTrustBundle, TrustBundleError, type TrustBundle } from '../verify/trust-bundle.ts';
import { BROWSER_SKEW_SECONDS } from './environment.ts';
import type { BrowserOutcome } from './outcome.ts';
import { reportInput } from './report-input.ts';

/** The bundle a saved verifier holds, opened once when the page loads. */
export interface EmbeddedBundle {
  readonly bundle: TrustBundle;
  /** What an auditor compares with a copy obtained independently; `kid` as the issuer's JWK Set publishes it. */
  readonly facts: { readonly did: string; readonly kid: string; readonly digest: string; readonly generatedAt: string };
}

export type OpenedEmbeddedBundle =
  ({ readonly ok: true } & EmbeddedBundle) | { readonly ok: false; readonly code: string; readonly detail: string };

/** Opens the exact text the file holds; its digest is over those bytes, as `sha256sum` of the saved bundle prints it. */
export async function openEmbeddedBundle(text: string): Promise<OpenedEmbeddedBundle> {
  try {
    const { bundle, kid } = await openTrustBundle(text);
    const thumbprint = kid.slice(bundle.issuer.did.length + 1);
    const facts = { did: bundle.issuer.did, kid: thumbprint, digest: await trustBundleDigest(text), generatedAt: bundle.generated_at };
    return { ok: true, bundle, facts };
  } catch (e) {
    if (e instanceof TrustBundleError) return { ok: false, code: e.code, detail: e.message };
    throw e;
  }
}

/**
 * Verifies with nothing but the embedded bundle, exactly as `launchproof verify --bundle` does:
 * its keys, its profiles, and its status lists as of the day it was made. No fetch exists on this path.
 */
export async function verifyOffline(input: unknown, embedded: EmbeddedBundle, now: Date): Promise<BrowserOutcome> {
  const result = await verifyCredential(input, bundleEnvironment(embedded.bundle, { at: now, skewSeconds: BROWSER_SKEW_SECONDS }));
  return { kind: 'judged', result, report: reportInput(result, now, 'offline', embedded.bundle, embedded.facts) };
}
