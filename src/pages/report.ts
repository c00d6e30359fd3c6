import type { Profile } from '../readiness/index.ts';
import type { VerificationResult } from '../verify/result.ts';

/** Everything the plain-language report is rendered from; the browser and the server fill it alike. */
export interface ReportInput {
  readonly result: VerificationResult;
  /** The instant the credential was judged at. */
  readonly judgedAt: Date;
  /** How the verification ran, which the page says: in this browser, on the server (no JavaScript), or from a saved bundle. */
  readonly where: 'browser' | 'server' | 'offline';
  /** The issuing organisation's name, when known (the trust bundle, or this deployment's records). */
  readonly issuerName?: string;
  /** The profile the credential cites, when known (built-in, from the trust bundle, or the tenant's). */
  readonly profile?: Profile;
  /** Offline: the bundle the verdict rests on, for the auditor to compare with a copy obtained independently. */
  readonly bundle?: { readonly did: string; readonly kid: string; readonly digest: string; readonly generatedAt: string };
}

/** The report as an HTML fragment; every value from the credential is escaped. (Placeholder: replaced by the pages work.) */
export function renderReport(input: ReportInput): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<section class="report"><h2>${input.result.verified ? 'Verified' : 'Not verified'}</h2><p>${esc(input.result.issuer ?? '')}</p></section>`;
}
