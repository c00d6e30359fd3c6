import { esc } from './html.ts';
import { renderPage } from './layout.ts';
import { renderVerifyForm } from './verify-form.ts';

export interface SharePageInput {
  readonly token: string;
  readonly tenantName: string;
  readonly label: string | null;
  readonly credential: string;
  /** The server's report, for readers without JavaScript. */
  readonly report: string;
  /** This deployment's origin, for snippets that must work when pasted elsewhere. */
  readonly origin: string;
  /** Where the attestation is in the vendor's transparency log, once sequenced. */
  readonly log?: { readonly index: number; readonly checkpointUrl: string; readonly keyUrl: string };
}

/** The log position: what a buyer keeps to hold the vendor to this attestation later. */
function renderLogPosition(tenantName: string, log: NonNullable<SharePageInput['log']>): string {
  return `<section class="log-position" aria-labelledby="log-title">
<h2 id="log-title">Transparency log</h2>
<p>This attestation’s issuance is entry <strong>${log.index}</strong> of ${esc(tenantName)}’s public transparency log, an append-only record of everything ${esc(tenantName)} issues, revokes or changes. The log’s <a href="${esc(log.checkpointUrl)}">latest signed checkpoint</a> commits to it; keep a copy, and any later checkpoint must extend it. The checkpoint opens with the <a href="${esc(log.keyUrl)}">log’s key</a>, also in the issuer’s DID document.</p>
</section>`;
}

/**
 * How a buyer hears of a change without coming back: the change feed, or a subscription of
 * their own endpoint (docs/webhooks.md, Buyers). The snippet is what a buyer's engineer runs.
 */
function renderStayInformed(tenantName: string, page: string): string {
  const command = `curl -X POST ${page}/subscriptions \\
  -H 'content-type: application/json' \\
  -d '{"url": "https://hooks.your-company.example/launchproof", "party": "Your company"}'`;
  return `<section class="stay-informed" aria-labelledby="informed-title">
<h2 id="informed-title">Be told if it changes</h2>
<p>If ${esc(tenantName)} suspends, reinstates, revokes or replaces this attestation, or revokes the key that signed it, each change is published as a notice signed with ${esc(tenantName)}’s key.</p>
<p>To read them, poll the <a href="${esc(`${page}/feed.json`)}">change feed</a> (JSON Feed; send the ETag back in If-None-Match), or have them sent to an https endpoint of yours. Your endpoint is first sent a challenge, which it must answer with <code>{"challenge": "…"}</code>. Every notice carries a link that cancels the subscription. ${esc(tenantName)} sees how many parties subscribed, and your name only if you give it as <code>party</code>.</p>
<pre><code>${esc(command, 4000)}</code></pre>
</section>`;
}

/** /s/{token}: the vendor's shared attestation, verified on load, with the badge to embed. */
export function renderSharePage(input: SharePageInput): string {
  const path = `/s/${encodeURIComponent(input.token)}`;
  const page = `${input.origin}${path}`;
  const badge = `${page}/badge.svg`;
  const alt = `Launch readiness attestation of ${input.tenantName}: live status`;
  const markdown = `[![${alt.replace(/[[\]]/g, '')}](${badge})](${page})`;
  const html = `<a href="${page}"><img src="${badge}" alt="${esc(alt)}"></a>`;
  const label = input.label ? `<p>${esc(input.label)}</p>` : '';
  return renderPage({
    heading: `Shared by ${input.tenantName}`,
    verifyScript: true,
    body: `<div class="share-from"><p class="lead">${esc(input.tenantName)} shared this launch-readiness attestation with you. It is checked below; what it discloses is what ${esc(input.tenantName)} chose to show.</p>${label}</div>
${renderVerifyForm({
  credential: input.credential,
  autoverify: true,
  report: input.report,
  how: 'Checked on this service’s server. With JavaScript on, your browser verifies it itself, with the issuer’s trust bundle and live status lists.',
})}
${input.log ? renderLogPosition(input.tenantName, input.log) : ''}
${renderStayInformed(input.tenantName, page)}
<section class="badge" aria-labelledby="badge-title">
<h2 id="badge-title">Embed the live badge</h2>
<p>The badge shows this attestation’s current status and links to this page, so whoever sees the badge can open this page and everything it discloses. Embed it only where this attestation is meant to be public, such as the vendor’s own trust page; to show it to one buyer, send this link instead.</p>
<p class="badge-preview"><img src="${esc(`${path}/badge.svg`)}" alt="${esc(alt)}"></p>
<h3>Markdown</h3>
<pre><code>${esc(markdown, 4000)}</code></pre>
<h3>HTML</h3>
<pre><code>${esc(html, 4000)}</code></pre>
</section>`,
  });
}
