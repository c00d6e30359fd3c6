import { renderPage } from './layout.ts';
import { renderVerifyForm, type VerifyFormOptions } from './verify-form.ts';

/** GET /verify, and POST /verify's answer with the server's report (or what to fix). */
export function renderVerifyPage(options: VerifyFormOptions & { readonly verdict?: 'verified' | 'not-verified' } = {}): string {
  const title = options.problem
    ? 'Error: nothing to verify'
    : options.verdict === 'verified'
      ? 'Verified: verify an attestation'
      : options.verdict === 'not-verified'
        ? 'Not verified: verify an attestation'
        : undefined;
  return renderPage({
    heading: 'Verify an attestation',
    ...(title ? { title } : {}),
    verifyScript: true,
    body: `<p class="lead">Check that a launch-readiness attestation is genuine, unaltered and still in force, and read what it says.</p>
${renderVerifyForm(options)}`,
  });
}
