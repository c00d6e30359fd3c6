import type { Assessment } from './assessment.ts';
import { profileControls, type Control, type Profile } from './profile.ts';

/** What every placeholder starts with, so a forgotten one is found by a search for it. */
export const FILL_IN = 'FILL IN';

// The schema caps a result's note at 2000 characters; a long control text is cut, not refused.
const MAX_NOTE = 2000;

/** The control's own text as guidance: what it asks, what evidence proves it, what a gap means. */
function guidance(control: Control): string {
  const weight = [control.priority, control.required ? 'required' : 'optional', control.strict ? 'strict' : undefined]
    .filter((w) => w !== undefined)
    .join(', ');
  const na = control.applicability === 'may_be_na' ? ' May be not_applicable where the product lacks the feature.' : '';
  const text =
    `${FILL_IN} (${weight}; stage ${control.stage}): ${control.title}. ${control.description}` +
    ` Evidence expected: ${control.evidence.expected}${na}` +
    ' Set status, attach evidence (launchproof evidence digest FILE...), and replace this note with your own or remove it.';
  return text.length <= MAX_NOTE ? text : `${text.slice(0, MAX_NOTE - 1)}…`;
}

/**
 * A fill-in skeleton of an assessment against `profile`: every control once, in the profile's
 * order. It parses as an assessment, so a tenant edits a valid document rather than writing one
 * from the schema. Every result starts as `fail` with no evidence: a control left unfilled then
 * counts against the launch, never for it, and no placeholder evidence or sign-off can be
 * signed by mistake (a sign-off or an acceptance must be written by whoever gives it).
 */
export function assessmentTemplate(profile: Profile): Assessment {
  return {
    profile: { id: profile.id, version: profile.version },
    subject: {
      organisation: `${FILL_IN}: organisation`,
      product: `${FILL_IN}: product`,
      productionUrl: 'https://fill-in.example',
    },
    results: profileControls(profile).map((c) => ({ control: c.id, status: 'fail' as const, note: guidance(c), evidence: [] })),
    signOffs: [],
  };
}

/** The parts of a profile a template cannot hold as data: who must sign, and whether a customer must accept. */
export function templateInstructions(profile: Profile): string[] {
  const lines = [`Assessment template for ${profile.id}@${profile.version}: every result starts as "fail" with no evidence.`];
  const required = profile.signOffs.filter((s) => s.required);
  if (required.length > 0)
    lines.push(
      `Required sign-offs (add to "signOffs" as {"role", "name", "signedAt"}): ${required.map((s) => `${s.role} (${s.title})`).join(', ')}.`,
    );
  if (profile.acceptance)
    lines.push(
      `Customer acceptance (${profile.acceptance.required ? 'required' : 'optional'}, stage ${profile.acceptance.stage}): ` +
        `add "acceptance" {"decision", "decidedBy", "decidedAt"}. ${profile.acceptance.description}`,
    );
  return lines;
}
