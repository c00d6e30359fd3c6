import { base64Encode } from '../util/base64.ts';

export interface OfflineVerifierInput {
  /** The trust bundle exactly as served and saved: its digest is over these bytes. */
  readonly bundleText: string;
  /** The browser build of the pipeline (/assets/verify.js). */
  readonly script: string;
  /** The stylesheet, inlined: the file loads nothing, not even from disk. */
  readonly css?: string;
}

export interface OfflineVerifier {
  readonly html: string;
  /** The policy the document carries in its meta element, for a server to send as a header too. */
  readonly contentSecurityPolicy: string;
}

/** The saved verifier's own additions to the site stylesheet. */
const OFFLINE_CSS = `
.bundle-facts dd { overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
@media print { .bundle-facts { display: block !important; break-inside: avoid; } #verify-form { display: none; } }
`;

async function cspHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `'sha256-${base64Encode(new Uint8Array(digest))}'`;
}

/**
 * Raw text elements end at the first `</script` (or `</style`), and `<!--` changes how that
 * end is found. The bundle is JSON whose strings are base64url, so escaping `<` changes no byte
 * of a real bundle; code cannot be escaped without changing it, so code holding these is refused.
 */
function rawText(text: string, element: 'script' | 'style', what: string): string {
  if (new RegExp(`</${element}|<!--`, 'i').test(text)) throw new TypeError(`the ${what} cannot be inlined: it holds </${element} or <!--`);
  return text;
}

/**
 * One self-contained HTML file that verifies the issuer's credentials with no network at all: the
 * trust bundle and the pipeline inside it, the script and stylesheet allowed by their hashes and
 * nothing else allowed (`default-src 'none'`), so the file cannot fetch even if it tried.
 */
export async function renderOfflineVerifier(input: OfflineVerifierInput): Promise<OfflineVerifier> {
  const script = rawText(input.script, 'script', 'script');
  const css = rawText(`${input.css ?? ''}${OFFLINE_CSS}`, 'style', 'stylesheet');
  const bundle = input.bundleText.replace(/</g, '\\u003c');
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${await cspHash(script)}`,
    `style-src ${await cspHash(css)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Offline verifier · launchproof</title>
<style>${css}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the verifier</a>
<main id="main" tabindex="-1">
<h1>Offline verifier</h1>
<p id="how-verified">This file verifies the issuer’s credentials in your browser with the trust bundle it holds. It makes no network request at all: status lists are as of the day the bundle was made. Where the bundle holds the issuer’s public log, it also checks that the issuer recorded the credential there, and that the log’s history of it ends in the status the lists show.</p>
<noscript><p class="problem">This verifier runs as a script inside the file: allow JavaScript for it to work. It still reaches no network.</p></noscript>
<section class="bundle-facts" aria-labelledby="bundle-heading">
<h2 id="bundle-heading">The trust bundle in this file</h2>
<p>Compare these with a copy of the issuer’s trust bundle obtained independently: <code>sha256sum</code> of the saved bundle prints the same digest.</p>
<dl id="bundle-facts">
<dt>Issuer DID</dt><dd data-fact="did">not read yet</dd>
<dt>Key that signed the bundle (kid)</dt><dd data-fact="kid">not read yet</dd>
<dt>SHA-256 digest</dt><dd data-fact="digest">not read yet</dd>
<dt>Made at</dt><dd data-fact="generatedAt">not read yet</dd>
</dl>
</section>
<form id="verify-form" class="verify-form">
<label for="credential">Credential</label>
<p class="hint" id="credential-hint">Paste the credential, in any format (VC-JWT, VC Data Model 1.1 JWT or SD-JWT VC), choose its file, or drop it here.</p>
<textarea id="credential" name="credential" rows="8" spellcheck="false" autocomplete="off" autocapitalize="off" aria-describedby="credential-hint"></textarea>
<label for="credential-file">Or choose the credential’s file</label>
<input type="file" id="credential-file" accept=".jwt,.sd-jwt,.txt,.json,text/plain,application/json">
<button type="submit">Verify</button>
</form>
<div id="report" aria-live="polite"></div>
</main>
<script type="application/json" id="trust-bundle">${bundle}</script>
<script>${script}</script>
</body>
</html>
`;
  return { html, contentSecurityPolicy };
}
