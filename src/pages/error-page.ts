import { esc } from './html.ts';
import { renderPage } from './layout.ts';

export interface ErrorPageInput {
  readonly status: number;
  /** The stable problem code, for support. */
  readonly code: string;
  readonly heading: string;
  /** What happened and what to do, in plain words (already escaped or plain text). */
  readonly message: string;
  readonly requestId?: string;
}

/** An error as a page: what happened, what to do, and the code to quote; never a stack or a secret. */
export function renderErrorPage(input: ErrorPageInput): string {
  const reference = input.requestId ? `, request ${esc(input.requestId)}` : '';
  return renderPage({
    heading: input.heading,
    title: `Error ${input.status}: ${input.heading}`,
    body: `<p class="lead">${esc(input.message)}</p>
<p class="small">Error code <code>${esc(input.code)}</code> (HTTP ${esc(String(input.status))}${reference}).</p>
<p><a href="/verify">Verify an attestation</a> · <a href="/">Home</a></p>`,
  });
}
