import type { VerificationResult } from './result.ts';

/** Where the verdict's material came from, for the reader to judge it by. */
export interface ReportContext {
  /** The instant the credential was judged at. */
  readonly at: Date;
  readonly bundle?: { readonly issuer: string; readonly kid: string; readonly generatedAt: string; readonly digest?: string };
}

const MAX_VALUE_CHARS = 200;
// C0 and C1 controls, DEL, and the bidirectional marks, embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * Everything printed here comes from a credential someone handed over. Control characters and
 * bidirectional overrides are shown as escapes, so a crafted claim cannot move the cursor,
 * recolour the terminal or make one text read as another; long values are cut.
 */
export function printable(value: unknown): string {
  const safe = escapeUnprintable(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
  return safe.length > MAX_VALUE_CHARS ? `${safe.slice(0, MAX_VALUE_CHARS)}…` : safe;
}

/** The escaping of `printable` without the cut, for text that must stay whole (a JSON pointer to pass back). */
export function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const row = (label: string, value: string) => `  ${label.padEnd(10)} ${value}`;

/** A verification result as a person reads it: the verdict first, then what it rests on, then every check. */
export function renderTextReport(result: VerificationResult, context: ReportContext): string {
  const failed = result.checks.find((c) => !c.ok);
  const lines = [result.verified ? 'VERIFIED' : `NOT VERIFIED${failed ? `: ${failed.name} ${printable(failed.code)}` : ''}`, ''];
  if (result.issuer !== undefined) lines.push(row('issuer', printable(result.issuer)));
  if (result.subject !== undefined) lines.push(row('subject', printable(result.subject)));
  if (result.kid !== undefined) lines.push(row('kid', printable(result.kid)));
  if (result.format !== undefined) lines.push(row('format', result.format));
  lines.push(row('judged at', context.at.toISOString()));
  if (context.bundle) {
    lines.push(row('bundle', `${printable(context.bundle.issuer)}, made ${printable(context.bundle.generatedAt)}`));
    lines.push(row('', `signed by ${printable(context.bundle.kid)}`));
    if (context.bundle.digest !== undefined) lines.push(row('', `digest ${printable(context.bundle.digest)}`));
  }

  lines.push('', 'checks');
  const width = Math.max(...result.checks.map((c) => c.name.length));
  for (const c of result.checks) {
    const outcome = c.code === 'ok' ? 'ok' : printable(c.code);
    lines.push(`  ${c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${outcome}${c.detail ? `: ${printable(c.detail)}` : ''}`);
  }

  if (result.status) {
    const asOf = context.bundle ? ` (lists as of ${printable(context.bundle.generatedAt)})` : '';
    lines.push('', row('status', `${result.status.value}${asOf}`));
    for (const list of result.status.lists) lines.push(row('', printable(list)));
  }
  if (result.log) {
    const l = result.log;
    lines.push('', row('log', `${printable(l.origin)}, checkpoint of ${l.size} entries signed by log key ${printable(l.kid)}`));
    if (l.index !== undefined) lines.push(row('', `issuance: entry ${l.index}, attestation ${printable(l.attestation)}`));
    if (l.status) lines.push(row('', `status by the log: ${l.status.value} (entry ${l.status.index}, ${printable(l.status.at)})`));
    if (l.statusAt)
      lines.push(
        row(
          '',
          `status at ${printable(l.statusAt.asked)}: ${l.statusAt.value} (set by entry ${l.statusAt.index}, ${printable(l.statusAt.at)})`,
        ),
      );
  }
  if (result.warnings && result.warnings.length > 0) {
    lines.push('', 'warnings');
    for (const w of result.warnings) {
      const when = w.code === 'evidence_expired' ? `expired ${printable(w.expiresAt)}` : `observed ${printable(w.observedAt)}`;
      lines.push(`  ! ${w.code}  ${printable(w.control)}: ${printable(w.evidence)} (${when})`);
    }
  }
  if (result.readiness) {
    const r = result.readiness;
    const profile = r.profile as { id?: unknown; version?: unknown };
    lines.push('', row('readiness', `${printable(profile.id)}@${printable(profile.version)}`));
    lines.push(row('', `stage ${printable(r.stage)}, strict gate ${r.strictGatePassed === true ? 'passed' : 'not passed'}`));
    lines.push(row('', r.recomputed ? 'verdict recomputed from the disclosed results' : 'verdict as stated, not recomputed'));
  }
  return `${lines.join('\n')}\n`;
}
