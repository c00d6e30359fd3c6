import { renderPage } from './layout.ts';

/** What this service is, for a buyer who was sent here by a vendor. */
export function renderHomePage(): string {
  return renderPage({
    heading: 'Check a vendor’s launch-readiness attestation',
    body: `<p class="lead">A vendor has told you their product is ready for production. A launch-readiness attestation is their proof: a signed statement of which readiness checks passed, with the evidence, judged against a published profile.</p>
<p><a class="button" href="/verify">Verify an attestation</a></p>
<h2>What you can check</h2>
<ul>
<li><strong>Who issued it</strong>, and that nobody changed a word since it was signed.</li>
<li><strong>Whether it still stands</strong>: the issuer can suspend, revoke or replace an attestation, and the check reads its live status.</li>
<li><strong>What it says</strong>: the readiness stage the product reached, what holds it back, and each control with its evidence, in plain language.</li>
</ul>
<p>The check runs in your own browser, with the issuer’s published keys and status lists. Without JavaScript, this service checks it for you and shows the same report.</p>
<h2>Public documents</h2>
<p>Everything a verifier relies on is published, so you or your auditors can check it with other tools too:</p>
<ul>
<li><a href="/profiles">Readiness profiles</a>: the criteria attestations are judged against, each version with its digest.</li>
<li><a href="/.well-known/did.json">This service’s DID document</a> and <a href="/.well-known/jwks.json">its public keys</a>.</li>
<li><a href="/types/launch-readiness/v1">The credential type</a> and <a href="/schemas/launch-readiness-credential.schema.json">its JSON Schema</a>.</li>
<li><a href="/openapi.json">The API description (OpenAPI)</a>.</li>
</ul>
<p>An issuer’s trust bundle (<code>/t/<var>issuer</var>/trust-bundle.json</code>) and offline verifier (<code>/t/<var>issuer</var>/verifier.html</code>) let an auditor verify its attestations years later, with no network.</p>`,
  });
}
