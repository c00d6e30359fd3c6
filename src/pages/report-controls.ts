import type { Control, Profile } from '../readiness/profile.ts';
import { instantOf, readableInstant } from './dates.ts';
import { esc, record, text } from './html.ts';
import type { ReportFacts } from './report-facts.ts';

/** A control's result as the first words of its sentence; the mark repeats it for the eye, never alone. */
const OUTCOME: Readonly<Record<string, { words: string; mark: string; kind: string }>> = {
  pass: { words: 'Passed', mark: '✓', kind: 'pass' },
  fail: { words: 'Failed', mark: '✗', kind: 'fail' },
  blocked: { words: 'Blocked', mark: '✗', kind: 'fail' },
  partial: { words: 'Partly done', mark: '◐', kind: 'partial' },
  not_applicable: { words: 'Not applicable', mark: '–', kind: 'na' },
};
const UNDISCLOSED = { words: 'Not disclosed by the vendor', mark: '?', kind: 'hidden' };

const MAX_RESULTS = 500;
const MAX_EVIDENCE = 20;

function evidenceList(evidence: unknown): { html: string; count: number } {
  const items = (Array.isArray(evidence) ? evidence : []).slice(0, MAX_EVIDENCE).map(record);
  if (items.length === 0) return { html: '', count: 0 };
  const lines = items.map((e) => {
    const collected = instantOf(e.collected_at);
    const observed = instantOf(e.observed_at);
    const expires = instantOf(e.expires_at);
    const facts = [
      text(e.media_type) ? esc(e.media_type) : undefined,
      collected ? `collected ${esc(readableInstant(collected))}` : undefined,
      text(e.collected_by) ? `by ${esc(e.collected_by)}` : undefined,
      observed ? `observed ${esc(readableInstant(observed))}` : undefined,
      expires ? `expires ${esc(readableInstant(expires))}` : undefined,
    ].filter(Boolean);
    // Shown as text, not a link: the address is the vendor's claim, the digest is what binds it.
    return `<li><code class="uri">${text(e.uri) ? esc(e.uri, 2048) : 'no address'}</code>${facts.length > 0 ? `<br>${facts.join(', ')}` : ''}${text(e.digest) ? `<br>Digest <code>${esc(e.digest)}</code>` : ''}</li>`;
  });
  return { html: `<ul class="evidence" aria-label="Evidence">${lines.join('')}</ul>`, count: items.length };
}

function controlItem(id: string, control: Control | undefined, result: Record<string, unknown> | undefined) {
  const title = control ? `${esc(control.title)} <span class="small">(${esc(id)})</span>` : `<code>${esc(id)}</code>`;
  if (!result) {
    return {
      html: `<li class="control control-hidden"><span class="mark" aria-hidden="true">${UNDISCLOSED.mark}</span> <span class="outcome">${UNDISCLOSED.words}:</span> ${title}</li>`,
      kind: UNDISCLOSED.kind,
      evidence: 0,
    };
  }
  const raw = result.status;
  const outcome =
    typeof raw === 'string' && Object.hasOwn(OUTCOME, raw)
      ? OUTCOME[raw]!
      : { words: `Result “${esc(raw, 40)}”`, mark: '?', kind: 'other' };
  const note = text(result.note) ? `<p class="note">Vendor’s note: ${esc(result.note, 2000)}</p>` : '';
  const evidence = evidenceList(result.evidence);
  const none = evidence.count === 0 && raw === 'pass' ? '<p class="small">No evidence disclosed.</p>' : '';
  return {
    html: `<li class="control control-${outcome.kind}"><span class="mark" aria-hidden="true">${outcome.mark}</span> <span class="outcome">${outcome.words}:</span> ${title}${note}${evidence.html}${none}</li>`,
    kind: outcome.kind,
    evidence: evidence.count,
  };
}

/**
 * Every control as a sentence, grouped as the profile groups them when the profile is known;
 * controls the profile has and the credential does not disclose are listed as such.
 */
export function reportControls(facts: ReportFacts, profile: Profile | undefined): string {
  const results = Object.entries(facts.results).slice(0, MAX_RESULTS);
  const resultOf = new Map(results.map(([id, r]) => [id, record(r)]));
  const counts = new Map<string, number>();
  let evidenceCount = 0;
  const item = (id: string, control: Control | undefined) => {
    const it = controlItem(id, control, resultOf.get(id));
    counts.set(it.kind, (counts.get(it.kind) ?? 0) + 1);
    evidenceCount += it.evidence;
    return it.html;
  };

  const groups: string[] = [];
  const known = new Set<string>();
  if (profile) {
    for (const section of profile.sections) {
      const items = section.controls.map((c) => {
        known.add(c.id);
        return item(c.id, c);
      });
      groups.push(`<h4>${esc(section.title)}</h4><ul class="controls">${items.join('')}</ul>`);
    }
  }
  const others = results.filter(([id]) => !known.has(id)).map(([id]) => item(id, undefined));
  if (others.length > 0) groups.push(`${profile ? '<h4>Not in the profile</h4>' : ''}<ul class="controls">${others.join('')}</ul>`);

  const summary = [
    ['pass', 'passed'],
    ['fail', 'failed or blocked'],
    ['partial', 'partly done'],
    ['na', 'not applicable'],
    ['other', 'with an unrecognised result'],
    ['hidden', 'not disclosed by the vendor'],
  ]
    .filter(([kind]) => counts.has(kind!))
    .map(([kind, words]) => `${counts.get(kind!)} ${words}`);
  const withheld = profile
    ? ''
    : '<p class="small">The profile is not available to this verifier, so controls the vendor did not disclose cannot be listed.</p>';
  return `<section class="part" aria-labelledby="report-controls"><h3 id="report-controls">Each control</h3><p>${summary.length > 0 ? esc(summary.join(', ')) : 'No results disclosed'}; ${evidenceCount} evidence item${evidenceCount === 1 ? '' : 's'} disclosed.</p>${withheld}${groups.join('')}</section>`;
}
