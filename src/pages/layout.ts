import { esc } from './html.ts';

export interface PageContent {
  /** The page's one `<h1>`, also the start of its `<title>`. */
  readonly heading: string;
  /** The main content after the heading, already escaped. */
  readonly body: string;
  /** Loads the browser verifier (/verify and share pages). */
  readonly verifyScript?: boolean;
  /** Overrides the `<title>` (an error page says so first). */
  readonly title?: string;
}

/**
 * The shell of every server-rendered page: one stylesheet and at most one script, both served
 * by this service (the page CSP allows nothing else), landmarks a screen reader can jump between.
 */
export function renderPage(content: PageContent): string {
  const script = content.verifyScript ? '<script src="/assets/verify.js" defer></script>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(content.title ?? content.heading)} · launchproof</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="icon" href="data:,">
${script}
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="site">
<a class="brand" href="/">launchproof</a>
<nav aria-label="Main"><ul>
<li><a href="/verify">Verify an attestation</a></li>
<li><a href="/profiles">Readiness profiles</a></li>
</ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>${esc(content.heading)}</h1>
${content.body}
</main>
<footer class="site">
<p>launchproof issues and verifies launch-readiness attestations as verifiable credentials. Everything on this page comes from this service; nothing is loaded from anywhere else.</p>
</footer>
</body>
</html>
`;
}
