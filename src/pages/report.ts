import type { Profile } from '../readiness/profile.ts';
import { findBuiltinProfile } from '../readiness/registry.ts';
import type { Check, VerificationResult } from '../verify/result.ts';
import { checkTitle, failureSentence, remarkSentence } from './check-sentences.ts';
import { instantOf, readableInstant } from './dates.ts';
import { esc, record, text } from './html.ts';
import { reportControls } from './report-controls.ts';
import { reportFacts, type ReportFacts } from './report-facts.ts';

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

export type ReportStatus = 'valid' | 'suspended' | 'revoked' | 'superseded' | 'unknown';

/** The signed status list decides; the issuer's notice only adds that a valid attestation was replaced. */
export function reportStatus(result: VerificationResult): ReportStatus {
  const listed = result.status?.value;
  if (listed === 'revoked' || listed === 'suspended') return listed;
  if (listed === 'valid') return result.notice?.supersededBy ? 'superseded' : 'valid';
  return 'unknown';
}

const row = (label: string, value: string) => `<dt>${label}</dt><dd>${value}</dd>`;
const code = (value: unknown) => `<code>${esc(value)}</code>`;
const when = (d: Date | undefined) => (d ? `<time datetime="${esc(d.toISOString())}">${esc(readableInstant(d))}</time>` : 'Not stated');
const whenClaimed = (value: unknown) => when(instantOf(value));
const NOT_STATED = '<span class="muted">Not stated</span>';

/** The host of a did:web DID or an http(s) issuer URL, as a buyer recognises a web domain. */
function webDomain(issuer: string): string | undefined {
  try {
    if (issuer.startsWith('did:web:')) return decodeURIComponent(issuer.slice('did:web:'.length).split(':')[0] ?? '') || undefined;
    if (/^https?:\/\//.test(issuer)) return new URL(issuer).host;
  } catch {
    return undefined;
  }
  return undefined;
}

function verdictHeader(input: ReportInput, failed: Check | undefined, status: ReportStatus, facts: ReportFacts): string {
  const { result } = input;
  const product = text(facts.subject.product);
  const organisation = text(facts.subject.organisation);
  const about = product
    ? ` of ${esc(product)}${organisation ? ` (${esc(organisation)})` : ''}`
    : organisation
      ? ` of ${esc(organisation)}`
      : '';
  if (result.verified) {
    const lead = `This launch-readiness attestation${about} is genuine: it carries the issuer’s valid signature, has not been altered, is within its validity period, and the issuer has neither revoked nor suspended it.`;
    const replaced =
      status === 'superseded' && result.notice?.supersededBy
        ? `<p class="notice"><strong>Superseded.</strong> The issuer has since replaced it: superseded by attestation ${code(result.notice.supersededBy.attestation)} issued ${whenClaimed(result.notice.supersededBy.issuedAt)}. Ask the vendor for the newer one.</p>`
        : '';
    return `<header class="verdict verdict-ok"><h2 id="report-title" tabindex="-1"><span class="mark" aria-hidden="true">✓</span> Verified</h2><p class="lead">${lead}</p>${replaced}</header>`;
  }
  const why = failed
    ? `<p class="failure"><strong>Failed check: ${esc(checkTitle(failed.name))}.</strong> ${esc(failureSentence(failed.name, failed.code))} <code class="failure-code" title="Stable code, for support">${esc(failed.name)}: ${esc(failed.code)}</code></p>`
    : '';
  return `<header class="verdict verdict-fail"><h2 id="report-title" tabindex="-1"><span class="mark" aria-hidden="true">✗</span> Not verified</h2><p class="lead">Do not rely on this attestation${about} as it stands.</p>${why}</header>`;
}

function statusSection(result: VerificationResult, status: ReportStatus): string {
  const notice = result.notice && result.notice.status === result.status?.value ? result.notice : undefined;
  const since = notice?.changedAt ? ` since ${whenClaimed(notice.changedAt)}` : '';
  const reason = notice?.reason ? `<p>Reason published by the issuer: <q>${esc(notice.reason)}</q></p>` : '';
  let body: string;
  if (status === 'revoked') body = `<p><strong>Revoked</strong>${since}. The issuer has withdrawn this attestation for good.</p>${reason}`;
  else if (status === 'suspended')
    body = `<p><strong>Suspended</strong>${since}. The issuer has put this attestation on hold; it may be reinstated.</p>${reason}`;
  else if (status === 'superseded' && result.notice?.supersededBy)
    body = `<p><strong>Superseded</strong> by attestation ${code(result.notice.supersededBy.attestation)} issued ${whenClaimed(result.notice.supersededBy.issuedAt)}. This one has not been revoked, but the issuer has issued a newer one.</p>${reason}`;
  else if (status === 'valid')
    body = `<p><strong>Valid.</strong> The issuer’s status list shows it is neither revoked nor suspended${notice?.changedAt ? ` (last changed ${whenClaimed(notice.changedAt)})` : ''}.</p>`;
  else {
    const check = result.checks.find((c) => c.name === 'status');
    const explained =
      check && !check.ok ? failureSentence(check.name, check.code) : check ? remarkSentence(check.name, check.code) : undefined;
    body = `<p><strong>Unknown.</strong> ${esc(explained ?? 'The status was not checked, because an earlier check failed.')}</p>`;
  }
  return `<section class="part" aria-labelledby="report-status"><h3 id="report-status">Status</h3>${body}</section>`;
}

function issuerSection(input: ReportInput): string {
  const { result } = input;
  const issuer = result.issuer;
  const domain = issuer ? webDomain(issuer) : undefined;
  const isDid = issuer?.startsWith('did:') ?? false;
  // Until the signature verifies, the issuer is only what the credential says it is.
  const proven = result.checks.some((c) => c.name === 'signature' && c.ok);
  const heading = proven ? 'Who issued it' : 'Who it claims issued it';
  const caveat = proven ? '' : '<p class="small">Not confirmed: the signature was not verified, so anyone could have written this.</p>';
  return `<section class="part" aria-labelledby="report-issuer"><h3 id="report-issuer">${heading}</h3>${caveat}<dl>${[
    row('Organisation', input.issuerName ? esc(input.issuerName) : '<span class="muted">Not known to this verifier</span>'),
    row('Web domain', domain ? esc(domain) : NOT_STATED),
    row(isDid ? 'Decentralised identifier (DID)' : 'Issuer identifier', issuer ? code(issuer) : NOT_STATED),
    row('Signing key', result.kid ? code(result.kid) : NOT_STATED),
  ].join('')}</dl></section>`;
}

function subjectSection(result: VerificationResult, facts: ReportFacts): string {
  const s = facts.subject;
  const url = text(s.production_url);
  return `<section class="part" aria-labelledby="report-subject"><h3 id="report-subject">What it is about</h3><dl>${[
    row('Organisation', text(s.organisation) ? esc(s.organisation) : NOT_STATED),
    row('Product', text(s.product) ? esc(s.product) : NOT_STATED),
    row('Production URL', url ? code(url) : NOT_STATED),
    ...(result.subject ? [row('Subject identifier', code(result.subject))] : []),
  ].join('')}</dl></section>`;
}

/**
 * The profile the credential cites: the one handed in when it is that very version, else a
 * built-in one, so every caller renders a built-in profile's titles alike whatever it passed.
 */
function citedProfile(input: ReportInput, facts: ReportFacts): Profile | undefined {
  const { id, version } = facts.profile;
  if (typeof id !== 'string' || typeof version !== 'string') return undefined;
  const p = input.profile;
  return p && p.id === id && p.version === version ? p : findBuiltinProfile(id, version);
}

function profileLine(input: ReportInput, facts: ReportFacts, profile: Profile | undefined): string {
  const id = text(facts.profile.id);
  const version = text(facts.profile.version);
  if (!id || !version) return NOT_STATED;
  const label = `${profile ? `${esc(profile.title)}, ` : ''}${esc(id)} version ${esc(version)}`;
  // Only a built-in profile has a page here; its id and version are then ours, not the credential's.
  const builtin = findBuiltinProfile(id, version);
  const linked =
    builtin && input.where !== 'offline'
      ? `<a href="/profiles/${encodeURIComponent(builtin.id)}/${encodeURIComponent(builtin.version)}">${label}</a>`
      : label;
  const digest = text(facts.profile.digest) ? `<br><span class="small">Digest ${code(facts.profile.digest)}</span>` : '';
  return `${linked}${digest}`;
}

const STATUS_WORDS: Readonly<Record<string, string>> = {
  pass: 'passed',
  fail: 'failed',
  blocked: 'blocked',
  partial: 'only partly done',
  not_applicable: 'not applicable',
  missing: 'missing',
};

function controlTitle(profile: Profile | undefined, id: unknown): string {
  const control = profile?.sections.flatMap((s) => s.controls).find((c) => c.id === id);
  return control ? `${esc(control.title)} <span class="small">(${esc(id)})</span>` : code(id);
}

function stageTitle(profile: Profile | undefined, id: unknown): string {
  const stage = profile?.stages.find((s) => s.id === id);
  return stage ? `${esc(stage.title)} <span class="small">(${esc(id)})</span>` : code(id);
}

function verdictSection(input: ReportInput, facts: ReportFacts, profile: Profile | undefined): string {
  const v = facts.verdict;
  const stage =
    typeof v.stage === 'string'
      ? stageTitle(profile, v.stage)
      : v.stage === null
        ? 'None: not even the first stage is reached'
        : NOT_STATED;
  const gate =
    v.strict_gate_passed === true
      ? 'Passed: every strict control passes'
      : v.strict_gate_passed === false
        ? 'Not passed: at least one strict control does not pass'
        : NOT_STATED;

  const blockers = Array.isArray(v.blockers) ? v.blockers.slice(0, 500).map(record) : [];
  const blockerItems = blockers.map((b) => {
    const control = profile?.sections.flatMap((s) => s.controls).find((c) => c.id === b.control);
    const status = typeof b.status === 'string' ? (STATUS_WORDS[b.status] ?? b.status) : 'not passed';
    const holds = b.stage !== undefined ? `, which holds back ${stageTitle(profile, b.stage)}` : '';
    const fallback = control ? ` ${esc(control.ifMissing)}` : '';
    return `<li>${controlTitle(profile, b.control)}: ${esc(status)}${holds}.${fallback}</li>`;
  });
  const exclusions = Array.isArray(v.exclusions) ? v.exclusions.slice(0, 500).map(record) : [];
  const exclusionItems = exclusions.map(
    (e) => `<li>${controlTitle(profile, e.control)}: ${text(e.reason) ? esc(e.reason) : 'no reason given'}</li>`,
  );

  const acceptance =
    v.acceptance === 'accepted'
      ? 'Accepted by the customer'
      : v.acceptance === 'accepted_with_exclusions'
        ? 'Accepted by the customer, with the exclusions listed above'
        : v.acceptance === 'rejected'
          ? 'Rejected by the customer'
          : `No customer acceptance recorded${profile?.acceptance ? `. ${esc(profile.acceptance.description)}` : ''}`;

  let signOffs: string;
  if (!profile) signOffs = 'Not known: the profile is not available to this verifier.';
  else if (profile.signOffs.length === 0) signOffs = 'This profile requires no sign-off.';
  else {
    const roles = profile.signOffs.map((s) => `<li>${esc(s.title)}${s.required ? '' : ' (optional)'}</li>`).join('');
    signOffs = `The credential does not name who signed off. To reach its final stage, ${stageTitle(profile, profile.stages.at(-1)?.id)}, this profile requires sign-off by:<ul>${roles}</ul>`;
  }

  const reached = Array.isArray(v.stages_reached) ? v.stages_reached : [];
  const stages = profile
    ? `<ol class="stages">${profile.stages
        .map(
          (s) =>
            `<li>${reached.includes(s.id) ? '<span class="yes">Reached:</span>' : '<span class="no">Not reached:</span>'} ${esc(s.title)}</li>`,
        )
        .join('')}</ol>`
    : '';

  const caveat = input.result.verified
    ? ''
    : '<p class="small">As the credential states it. The credential did not verify, so do not rely on this verdict.</p>';
  return `<section class="part" aria-labelledby="report-verdict"><h3 id="report-verdict">The readiness verdict</h3>${caveat}<dl>${[
    row('Readiness profile', profileLine(input, facts, profile)),
    row('Stage reached', `${stage}${stages}`),
    row('Strict gate', gate),
    row('Blockers', blockerItems.length > 0 ? `<ul>${blockerItems.join('')}</ul>` : 'None'),
    row('Exclusions', exclusionItems.length > 0 ? `<ul>${exclusionItems.join('')}</ul>` : 'None'),
    row('Customer acceptance', acceptance),
    row('Sign-offs', signOffs),
  ].join('')}</dl></section>`;
}

function datesSection(input: ReportInput, facts: ReportFacts): string {
  return `<section class="part" aria-labelledby="report-dates"><h3 id="report-dates">Dates</h3><dl>${[
    row('Issued', when(facts.issuedAt)),
    ...(facts.validFrom && facts.validFrom.getTime() !== facts.issuedAt?.getTime() ? [row('Valid from', when(facts.validFrom))] : []),
    row('Expires', when(facts.validUntil)),
    row('Checked at', when(input.judgedAt)),
  ].join('')}</dl></section>`;
}

function howSection(input: ReportInput): string {
  let body: string;
  if (input.where === 'browser')
    body = '<p>Verified in your browser, with the issuer’s trust bundle and live status lists: no server vouched for the result.</p>';
  else if (input.where === 'server')
    body =
      '<p>Checked on this service’s server, because your browser ran no script. With JavaScript on, the check runs in your own browser instead.</p>';
  else {
    const b = input.bundle;
    body =
      '<p>Verified offline, from a saved trust bundle and with no network: the status shown is the status when the bundle was made.</p>' +
      (b
        ? `<div class="pin"><p><strong>Compare these with a copy of the issuer’s trust bundle obtained independently.</strong> If any differs, do not rely on this report.</p><dl>${[
            row('Issuer DID', code(b.did)),
            row('Bundle signing key', code(b.kid)),
            row('Bundle digest (SHA-256)', code(b.digest)),
            row('Bundle made', whenClaimed(b.generatedAt)),
          ].join('')}</dl></div>`
        : '');
  }
  return `<section class="part" aria-labelledby="report-how"><h3 id="report-how">How this was checked</h3>${body}</section>`;
}

function checksDetails(result: VerificationResult): string {
  const items = result.checks.map((c) => {
    const remark = c.ok ? remarkSentence(c.name, c.code) : failureSentence(c.name, c.code);
    return `<li><span class="mark" aria-hidden="true">${c.ok ? '✓' : '✗'}</span> ${esc(checkTitle(c.name))}: ${c.ok ? 'passed' : '<strong>failed</strong>'}${remark ? `. ${esc(remark)}` : ''} <code class="small">${esc(c.name)}: ${esc(c.code)}</code>${c.detail ? `<br><span class="small">${esc(c.detail)}</span>` : ''}</li>`;
  });
  const about = [
    ...(result.format ? [row('Format', code(result.format))] : []),
    ...(result.credentialId ? [row('Credential id', code(result.credentialId))] : []),
    ...(result.notice ? [row('Attestation id', code(result.notice.attestation))] : []),
  ].join('');
  return `<details class="part"><summary>Every check, with its technical code</summary><ol class="checks">${items.join('')}</ol>${about ? `<dl>${about}</dl>` : ''}</details>`;
}

/** The report as an HTML fragment; every value from the credential is escaped. */
export function renderReport(input: ReportInput): string {
  const { result } = input;
  const failed = result.checks.find((c) => !c.ok);
  const status = reportStatus(result);
  const facts = reportFacts(result);
  const profile = citedProfile(input, facts);
  const remarks = result.verified
    ? result.checks.map((c) => remarkSentence(c.name, c.code)).filter((s): s is string => s !== undefined)
    : [];
  const notes = remarks.length > 0 ? `<ul class="remarks">${remarks.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  const parts = [
    verdictHeader(input, failed, status, facts),
    notes,
    statusSection(result, status),
    result.issuer ? issuerSection(input) : '',
    facts.hasReadiness ? subjectSection(result, facts) : '',
    facts.hasReadiness ? verdictSection(input, facts, profile) : '',
    result.claims ? datesSection(input, facts) : '',
    facts.hasReadiness ? reportControls(facts, profile) : '',
    howSection(input),
    checksDetails(result),
  ];
  const failedAttr = failed ? ` data-failed-check="${esc(failed.name)}"` : '';
  return `<section class="report" aria-labelledby="report-title" data-verdict="${result.verified ? 'verified' : 'not-verified'}" data-status="${status}"${failedAttr}>${parts.join('')}</section>`;
}
