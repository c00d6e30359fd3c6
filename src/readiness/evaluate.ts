import { AppError } from '../errors/index.ts';
import { RESULT_STATUSES, type Assessment, type ControlResult, type ResultStatus } from './assessment.ts';
import type { PinnedProfile } from './digest.ts';
import { MAX_REPORTED_PROBLEMS, parseAssessment } from './parse-assessment.ts';
import { profileControls, type Control, type Profile } from './profile.ts';
import { findRefusals } from './refusals.ts';
import type { Blocker, StatusCounts, Verdict, VerdictExclusion } from './verdict.ts';

/**
 * The verdict on an assessment, decided here and only here. Pure and synchronous: the profile
 * arrives pinned to its digest (see pinProfile) because hashing is the one async step.
 *
 * Gating rules:
 * - a control clears its stage when it passes, is not_applicable where the profile allows that
 *   (refusals.ts rejects it elsewhere), or is excluded by an accepted_with_exclusions acceptance;
 *   partial never clears, and optional controls never hold a stage back;
 * - a stage is reached when every earlier stage is, every required control gating it clears, the
 *   acceptance gate is satisfied if it names this stage, and, for the final stage, every required
 *   sign-off is present: sign-offs attest the whole launch, so they gate its last step;
 * - the strict gate needs every strict control passed or validly not_applicable. A customer's
 *   exclusion waives a control for their launch but proves nothing, so it does not count here.
 */
export function evaluateAssessment(pinned: PinnedProfile, submitted: Assessment): Verdict {
  // Re-parsed so a caller holding a hand-built object gets the same refusals as one holding JSON.
  return evaluateParsed(pinned, parseAssessment(submitted));
}

/** The same verdict for an assessment that parseAssessment has already accepted (not parsed twice). */
export function evaluateParsed(pinned: PinnedProfile, assessment: Assessment, now?: Date): Verdict {
  const { profile, digest } = pinned;
  // `now` (the service's clock at submission) also refuses evidence observed in the future.
  const problems = findRefusals(profile, assessment, now);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).map((p) => `${p.pointer}: ${p.detail}`);
    throw new AppError(
      'invalid_assessment',
      `assessment refused by ${profile.id}@${profile.version} (${problems.length} problem(s)): ${shown.join('; ')}`,
      {
        fields: problems.slice(0, MAX_REPORTED_PROBLEMS),
      },
    );
  }

  const results = new Map<string, ControlResult>(assessment.results.map((r) => [r.control, r]));
  const decision = assessment.acceptance?.decision ?? null;
  const exclusions: VerdictExclusion[] =
    decision === 'accepted_with_exclusions'
      ? (assessment.acceptance?.exclusions ?? []).map((e) => ({ control: e.control, reason: e.reason }))
      : [];
  const excluded = new Set(exclusions.map((e) => e.control));

  const proven = (c: Control) => {
    const status = results.get(c.id)?.status;
    return status === 'pass' || status === 'not_applicable';
  };
  const clears = (c: Control) => proven(c) || excluded.has(c.id);

  const controls = profileControls(profile);
  const blockers: Blocker[] = controls
    .filter((c) => c.required && !clears(c))
    .map((c) => ({ control: c.id, status: blockerStatus(results.get(c.id)?.status), reason: c.ifMissing, stage: c.stage }));

  const signed = new Set((assessment.signOffs ?? []).map((s) => s.role));
  const signOffsMissing = profile.signOffs.filter((s) => s.required && !signed.has(s.role)).map((s) => s.role);

  const stagesReached: string[] = [];
  for (const [i, stage] of profile.stages.entries()) {
    const controlsClear = controls.every((c) => !c.required || c.stage !== stage.id || clears(c));
    const signedOff = i < profile.stages.length - 1 || signOffsMissing.length === 0;
    if (!controlsClear || !acceptanceAllows(profile, stage.id, decision) || !signedOff) break;
    stagesReached.push(stage.id);
  }

  return {
    profile: { id: profile.id, version: profile.version, digest },
    strictGatePassed: controls.every((c) => !c.strict || proven(c)),
    stage: stagesReached.at(-1) ?? null,
    stagesReached,
    blockers,
    exclusions,
    signOffsMissing,
    acceptance: decision,
    summary: countStatuses(assessment.results),
  };
}

/**
 * A customer's explicit rejection always stops its stage; where the gate is required, so does
 * the absence of a decision.
 */
function acceptanceAllows(profile: Profile, stageId: string, decision: string | null): boolean {
  const gate = profile.acceptance;
  if (!gate || gate.stage !== stageId) return true;
  if (decision === 'rejected') return false;
  return !gate.required || decision !== null;
}

function blockerStatus(status: ResultStatus | undefined): Blocker['status'] {
  if (status === undefined) return 'missing';
  if (status === 'pass' || status === 'not_applicable') throw new TypeError(`a ${status} control cannot block`);
  return status;
}

function countStatuses(results: readonly ControlResult[]): StatusCounts {
  const counts = Object.fromEntries(RESULT_STATUSES.map((s) => [s, 0])) as Record<ResultStatus, number>;
  for (const r of results) counts[r.status] += 1;
  return { ...counts, total: results.length };
}
