import type { AcceptanceDecision, ResultStatus } from './assessment.ts';

/**
 * Why a required control holds its stage back. `missing` is part of the format so a verdict
 * can describe an incomplete assessment, but evaluate.ts refuses those today, so it never occurs.
 */
export type BlockerStatus = Exclude<ResultStatus, 'pass' | 'not_applicable'> | 'missing';

export interface Blocker {
  readonly control: string;
  readonly status: BlockerStatus;
  /** The profile's own words on what the gap means, so the verdict explains itself. */
  readonly reason: string;
  readonly stage: string;
}

export interface VerdictExclusion {
  readonly control: string;
  readonly reason: string;
}

export type StatusCounts = { readonly [S in ResultStatus]: number } & { readonly total: number };

/** What launchproof concludes; the caller never supplies any of it. */
export interface Verdict {
  readonly profile: { readonly id: string; readonly version: string; readonly digest: string };
  readonly strictGatePassed: boolean;
  /** The last stage reached, or null when not even the first is. */
  readonly stage: string | null;
  readonly stagesReached: readonly string[];
  readonly blockers: readonly Blocker[];
  readonly exclusions: readonly VerdictExclusion[];
  readonly signOffsMissing: readonly string[];
  readonly acceptance: AcceptanceDecision | null;
  readonly summary: StatusCounts;
}
