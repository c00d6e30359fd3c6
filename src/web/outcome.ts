import type { ReportInput } from '../pages/report.ts';
import type { VerificationResult } from '../verify/result.ts';

/**
 * What the page does with one credential. Only `judged` carries a verdict; the others say why the
 * browser could not reach one, and the page offers the server's check where that can help.
 */
export type BrowserOutcome =
  /** The pipeline ran; `report` is what the page renders. */
  | { readonly kind: 'judged'; readonly result: VerificationResult; readonly report: ReportInput }
  /** The issuer is not one of this site's: the browser fetches nothing a credential names. */
  | { readonly kind: 'elsewhere'; readonly issuer: string }
  /** The issuer names this site, which publishes no trust bundle for it. */
  | { readonly kind: 'unknown_issuer'; readonly issuer: string }
  /** The trust bundle was refused by its own checks (`code` is the TrustBundleError code). */
  | { readonly kind: 'bundle_unusable'; readonly code: string; readonly detail: string }
  /** The site could not be reached for the trust bundle. */
  | { readonly kind: 'unreachable'; readonly detail: string };
