import type { FieldProblem } from '../errors/index.ts';
import type { Acceptance, Assessment } from './assessment.ts';
import { evidenceTimeRefusals } from './evidence-freshness.ts';
import { profileControls, type Control, type Profile } from './profile.ts';

const ref = (p: Profile) => `${p.id}@${p.version}`;

/**
 * Every reason the assessment cannot be evaluated, each pointing at the place to fix. All are
 * collected rather than the first thrown, so a tenant fixes a submission in one round trip.
 */
export function findRefusals(profile: Profile, assessment: Assessment, now?: Date): FieldProblem[] {
  const problems: FieldProblem[] = evidenceTimeRefusals(assessment, now);
  const controls = new Map(profileControls(profile).map((c) => [c.id, c]));

  if (assessment.profile.id !== profile.id || assessment.profile.version !== profile.version) {
    const at = assessment.profile.id !== profile.id ? '/profile/id' : '/profile/version';
    problems.push({
      pointer: at,
      detail: `assessment names ${assessment.profile.id}@${assessment.profile.version} but is evaluated against ${ref(profile)}`,
    });
  }

  const seenAt = new Map<string, number>();
  assessment.results.forEach((r, i) => {
    const at = `/results/${i}`;
    const control = controls.get(r.control);
    if (!control) {
      problems.push({ pointer: `${at}/control`, detail: `control '${r.control}' is not part of ${ref(profile)}` });
      return;
    }
    const earlier = seenAt.get(r.control);
    if (earlier !== undefined) {
      problems.push({ pointer: `${at}/control`, detail: `control '${r.control}' is already reported at /results/${earlier}` });
      return;
    }
    seenAt.set(r.control, i);
    // A pass is what the credential vouches for; without at least one digested piece of
    // evidence it would be the tenant's word re-signed by us. Other statuses assert no proof.
    if (r.status === 'pass' && (r.evidence?.length ?? 0) === 0) {
      problems.push({ pointer: `${at}/evidence`, detail: `control '${r.control}' is reported as pass without evidence` });
    }
    if (r.status === 'not_applicable' && control.applicability === 'always') {
      problems.push({ pointer: `${at}/status`, detail: `control '${r.control}' applies to every launch and cannot be not_applicable` });
    }
  });

  for (const c of controls.values()) {
    if (c.required && !seenAt.has(c.id)) problems.push({ pointer: '/results', detail: `required control '${c.id}' has no result` });
  }

  const roles = new Set(profile.signOffs.map((s) => s.role));
  assessment.signOffs?.forEach((s, i) => {
    if (!roles.has(s.role))
      problems.push({ pointer: `/signOffs/${i}/role`, detail: `sign-off role '${s.role}' is not one ${ref(profile)} asks for` });
  });

  if (assessment.acceptance) problems.push(...acceptanceRefusals(profile, controls, assessment, assessment.acceptance));
  return problems;
}

function acceptanceRefusals(
  profile: Profile,
  controls: Map<string, Control>,
  assessment: Assessment,
  acceptance: Acceptance,
): FieldProblem[] {
  const gate = profile.acceptance;
  if (!gate) return [{ pointer: '/acceptance', detail: `${ref(profile)} has no customer acceptance gate` }];

  const problems: FieldProblem[] = [];
  const { decision } = acceptance;
  const exclusions = acceptance.exclusions ?? [];
  if (decision !== 'accepted_with_exclusions' && exclusions.length > 0) {
    problems.push({ pointer: '/acceptance/exclusions', detail: `exclusions only apply to accepted_with_exclusions, not '${decision}'` });
  }
  if (decision === 'accepted_with_exclusions' && exclusions.length === 0) {
    problems.push({ pointer: '/acceptance/exclusions', detail: 'accepted_with_exclusions names no excluded control' });
  }

  const stageIndex = new Map(profile.stages.map((s, i) => [s.id, i]));
  const acceptedUpTo = stageIndex.get(gate.stage) ?? -1;
  const excluded = new Set<string>();
  exclusions.forEach((e, k) => {
    const at = `/acceptance/exclusions/${k}/control`;
    const control = controls.get(e.control);
    if (!control) problems.push({ pointer: at, detail: `excluded control '${e.control}' is not part of ${ref(profile)}` });
    else if (excluded.has(e.control)) problems.push({ pointer: at, detail: `control '${e.control}' is excluded twice` });
    // A customer accepts one stage; waiving a control of a later stage would let their
    // signature unlock a launch they never looked at.
    else if ((stageIndex.get(control.stage) ?? Infinity) > acceptedUpTo) {
      problems.push({
        pointer: at,
        detail: `control '${e.control}' gates stage '${control.stage}', beyond the accepted stage '${gate.stage}'`,
      });
    }
    excluded.add(e.control);
  });

  if (decision === 'rejected') return problems;
  // An acceptance that contradicts the results would turn a failing control into a signed yes.
  const statusOf = new Map<string, string>();
  // The first report of a control is the one judged; a repeat is refused on its own.
  for (const r of assessment.results) if (!statusOf.has(r.control)) statusOf.set(r.control, r.status);
  for (const c of controls.values()) {
    const status = statusOf.get(c.id);
    if (!c.required || status === undefined || status === 'pass' || status === 'not_applicable') continue;
    if ((stageIndex.get(c.stage) ?? Infinity) > acceptedUpTo || excluded.has(c.id)) continue;
    problems.push(
      decision === 'accepted'
        ? { pointer: '/acceptance/decision', detail: `decision 'accepted' while required control '${c.id}' is ${status}` }
        : {
            pointer: '/acceptance/exclusions',
            detail: `decision 'accepted_with_exclusions' while required control '${c.id}' is ${status} and not excluded`,
          },
    );
  }
  return problems;
}
