import { esc, escField } from './html.ts';

export interface VerifyFormOptions {
  /** Pre-filled credential text (a share page). */
  readonly credential?: string;
  /** Verify on load: the browser script reads this from the form. */
  readonly autoverify?: boolean;
  /** Why the last submission was refused, shown above the field and tied to it. */
  readonly problem?: string;
  /** The server's report, for readers without JavaScript (the script replaces it). */
  readonly report?: string;
  /** What #how-verified says before the script takes over. */
  readonly how?: string;
}

const HOW_DEFAULT =
  'With JavaScript on, your browser verifies the credential itself, with the issuer’s trust bundle and live status lists. Without JavaScript, this service’s server checks it and shows the same report.';

/**
 * The verification form, the sentence saying how verification runs, and the report area: the
 * DOM contract /assets/verify.js enhances (ids, the form as drop target, data-autoverify).
 */
export function renderVerifyForm(options: VerifyFormOptions = {}): string {
  const problem = options.problem ? `<p class="problem" id="credential-problem">${esc(options.problem)}</p>` : '';
  const describedBy = options.problem ? 'credential-hint credential-problem' : 'credential-hint';
  return `<form id="verify-form" class="verify-form" method="post" action="/verify"${options.autoverify ? ' data-autoverify="true"' : ''}>
${problem}<label for="credential">Credential</label>
<p class="hint" id="credential-hint">Paste the credential you were given, in any format: VC-JWT, VC Data Model 1.1 JWT or SD-JWT VC. You can also drop its file here.</p>
<textarea id="credential" name="credential" rows="8" spellcheck="false" autocomplete="off" autocapitalize="off" aria-describedby="${describedBy}">${escField(options.credential ?? '')}</textarea>
<label for="credential-file">Or choose the credential’s file</label>
<input type="file" id="credential-file" accept=".jwt,.sd-jwt,.txt,.json,text/plain,application/json">
<button type="submit">Verify</button>
</form>
<p id="how-verified">${esc(options.how ?? HOW_DEFAULT)}</p>
<div id="report" aria-live="polite">${options.report ?? ''}</div>`;
}
