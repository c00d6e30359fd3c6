import { esc as escapeHtml } from '../pages/html.ts';
import type { BrowserOutcome } from './outcome.ts';

/** The button that hands a credential to the server's check: the same form, submitted as if there were no script. */
export const SERVER_CHECK_ACTION = 'server-check';

const serverCheck = `<p><button type="submit" form="verify-form" data-action="${SERVER_CHECK_ACTION}">Check it on the server instead</button></p>`;

/** For a credential the browser did not judge: what happened, in plain words, and what the reader can do. */
export function notJudgedHtml(outcome: Exclude<BrowserOutcome, { kind: 'judged' }>, origin: string): string {
  const section = (title: string, body: string) =>
    `<section class="notice" data-outcome="${outcome.kind}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
  switch (outcome.kind) {
    case 'elsewhere':
      return section(
        'Not checked in your browser',
        `<p>This credential was issued by <code>${escapeHtml(outcome.issuer)}</code>, which is not an issuer of this site (${escapeHtml(origin)}). ` +
          'Your browser only checks credentials of this site’s own issuers, and never contacts an address a credential names.</p>' +
          '<p>The server can check it for you: it fetches that issuer’s keys and status lists under its own safety rules.</p>' +
          serverCheck,
      );
    case 'unknown_issuer':
      return section(
        'Unknown issuer',
        `<p>This credential names <code>${escapeHtml(outcome.issuer)}</code> as its issuer, but this site publishes no trust bundle for it, so it cannot be checked here.</p>` +
          serverCheck,
      );
    case 'bundle_unusable':
      return section(
        'The issuer’s trust bundle cannot be used',
        `<p>The trust bundle this site served for the issuer failed its own checks (<code>${escapeHtml(outcome.code)}</code>): ${escapeHtml(outcome.detail)}</p>` +
          serverCheck,
      );
    case 'unreachable':
      return section('The check could not run', `<p>${escapeHtml(outcome.detail)}.</p>${serverCheck}`);
  }
}

/** Says how the verdict was reached, in place of the server's sentence. */
export function howVerifiedText(outcome: BrowserOutcome): string {
  if (outcome.kind !== 'judged') return 'This credential was not checked in your browser.';
  const { report } = outcome;
  const verb = report.result.verified ? 'Verified' : 'Checked';
  if (report.where === 'offline') {
    const made = report.bundle ? ` made ${report.bundle.generatedAt}` : '';
    return `${verb} in this file, offline, with the trust bundle it holds (${report.bundle?.did ?? 'unknown issuer'},${made}); its status lists are as of that date, and nothing was fetched.`;
  }
  const issuer = report.issuerName ?? report.result.issuer;
  return issuer && report.result.issuer
    ? `${verb} in your browser, with ${issuer}'s trust bundle and live status lists.`
    : `${verb} in your browser.`;
}

/** The embedded bundle of a saved verifier failed its checks: nothing can be verified with it. */
export function unusableEmbeddedBundleHtml(code: string, detail: string): string {
  return (
    `<section class="notice" data-outcome="bundle_unusable"><h2>This verifier’s trust bundle cannot be used</h2>` +
    `<p>The trust bundle inside this file failed its own checks (<code>${escapeHtml(code)}</code>): ${escapeHtml(detail)}</p>` +
    '<p>No credential can be verified with it. Obtain the issuer’s verifier, or its trust bundle, again from a source you trust.</p></section>'
  );
}
