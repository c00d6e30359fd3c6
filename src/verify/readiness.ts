import { AppError } from '../errors/index.ts';
import {
  evaluateAssessment,
  findBuiltinProfile,
  pinProfile,
  type Assessment,
  type PinnedProfile,
  type Profile,
} from '../readiness/index.ts';
import { profileControls } from '../readiness/profile.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import { VerificationFailure } from './result.ts';

/** A tenant's own profile versions (built-in ones are always known). */
export type ProfileSource = (issuer: string, id: string, version: string) => Promise<Profile | undefined>;

/** The readiness part of a credential's claims, wherever its format puts them. */
export interface ReadinessClaims {
  readonly subject: { organisation?: unknown; product?: unknown; production_url?: unknown };
  readonly profile: { id?: unknown; version?: unknown; digest?: unknown };
  readonly verdict: { strict_gate_passed?: unknown; stage?: unknown; blockers?: unknown; exclusions?: unknown; acceptance?: unknown };
  readonly results: Record<string, { status?: unknown; note?: unknown; evidence?: unknown }>;
}

export interface ReadinessReport {
  readonly profile: { id: string; version: string };
  readonly stage: unknown;
  readonly strictGatePassed: unknown;
  readonly recomputed: boolean;
}

const fail = (code: string, detail: string) => new VerificationFailure('readiness', code, detail);

/**
 * Verdicts recomputed before, by the exact signed text the claims were read from: the same text
 * always yields the same claims and issuance date, so with the same pinned profile (the same
 * object: built-ins and projected tenant profiles are frozen and pinned once) the report is the
 * same. Recomputing parses the whole assessment again (zod) and was the largest part of verifying
 * a VC-JWT after the signature; a credential is verified again and again (its share page, its
 * badge, a buyer checking it twice). Only reports are remembered, never a refusal; bounded by
 * entries and by the characters of the texts held, least recently used out first.
 */
const MEMO_ENTRIES = 256;
const MEMO_CHARS = 4 * 1024 * 1024;
interface Recomputed {
  readonly text: string;
  readonly pinned: PinnedProfile;
  readonly report: ReadinessReport;
}
/**
 * Keyed by the text's tail (a JWS ends with its signature, a presentation with a salted
 * disclosure) and confirmed by comparing the whole text: a Map keyed by the whole 13 kB text would
 * hash all of it on every lookup. Two texts with one tail only take each other's place.
 */
const recomputedBefore = new BoundedCache<Recomputed>(MEMO_ENTRIES, MEMO_CHARS);
const tailOf = (text: string) => text.slice(-96);

function recalled(text: string, pinned: PinnedProfile): ReadinessReport | undefined {
  const known = recomputedBefore.get(tailOf(text));
  return known && known.pinned === pinned && known.text === text ? known.report : undefined;
}

function remember(text: string, pinned: PinnedProfile, report: ReadinessReport): void {
  // One text never takes more than an eighth of the memo, so a few huge ones cannot empty it.
  if (text.length > MEMO_CHARS / 8) return;
  recomputedBefore.set(tailOf(text), { text, pinned, report }, text.length);
}

function assessmentFrom(c: ReadinessClaims, profile: Profile, issuedAt: Date): Assessment {
  const evidence = (e: Record<string, unknown>) => ({
    uri: e.uri,
    digestSRI: e.digest,
    mediaType: e.media_type,
    collectedAt: e.collected_at,
    collectedBy: e.collected_by,
    ...(e.observed_at !== undefined ? { observedAt: e.observed_at } : {}),
    ...(e.expires_at !== undefined ? { expiresAt: e.expires_at } : {}),
  });
  const acceptance = c.verdict.acceptance;
  const exclusions = (Array.isArray(c.verdict.exclusions) ? c.verdict.exclusions : []) as { control: string; reason: string }[];
  return {
    profile: { id: profile.id, version: profile.version },
    subject: {
      organisation: c.subject.organisation,
      product: c.subject.product,
      ...(c.subject.production_url ? { productionUrl: c.subject.production_url } : {}),
    },
    results: Object.entries(c.results).map(([control, r]) => ({
      control,
      status: r.status,
      ...(r.note ? { note: r.note } : {}),
      ...(Array.isArray(r.evidence) && r.evidence.length > 0 ? { evidence: r.evidence.map(evidence) } : {}),
    })),
    // Sign-offs are not in the credential: assume them all, and allow for the final stage they gate (below).
    signOffs: profile.signOffs.map((s) => ({ role: s.role, name: 'recomputation', signedAt: issuedAt.toISOString() })),
    ...(typeof acceptance === 'string'
      ? {
          acceptance: {
            decision: acceptance,
            ...(exclusions.length > 0 ? { exclusions } : {}),
            decidedBy: 'recomputation',
            decidedAt: issuedAt.toISOString(),
          },
        }
      : {}),
  } as Assessment;
}

/**
 * Reports the verdict a credential states and, when every control's result is disclosed,
 * decides it again from the published profile: a credential whose verdict its own results do
 * not support is refused, whoever signed it.
 */
export async function checkReadiness(
  c: ReadinessClaims,
  issuer: string,
  issuedAt: Date,
  profiles: ProfileSource | undefined,
  /** The signed text `c` and `issuedAt` were read from, when the caller has it (see recomputedBefore). */
  signedText?: string,
): Promise<ReadinessReport> {
  const id = c.profile.id;
  const version = c.profile.version;
  if (typeof id !== 'string' || typeof version !== 'string') throw fail('no_profile', 'the credential names no readiness profile');
  const report = { profile: { id, version }, stage: c.verdict.stage, strictGatePassed: c.verdict.strict_gate_passed };
  const profile = findBuiltinProfile(id, version) ?? (await profiles?.(issuer, id, version));
  if (!profile) return { ...report, recomputed: false };
  const pinned = await pinProfile(profile);
  const known = signedText === undefined ? undefined : recalled(signedText, pinned);
  if (known) return known;
  if (c.profile.digest !== undefined && c.profile.digest !== pinned.digest) {
    throw fail('profile_digest_mismatch', `the credential pins ${id}@${version} to another digest than the published profile`);
  }
  const disclosed = new Set(Object.keys(c.results));
  if (!profileControls(profile).every((control) => disclosed.has(control.id))) return { ...report, recomputed: false };
  let verdict;
  try {
    verdict = evaluateAssessment(pinned, assessmentFrom(c, profile, issuedAt));
  } catch (e) {
    if (e instanceof AppError)
      throw fail('verdict_mismatch', `the disclosed results do not make a valid assessment: ${e.message.slice(0, 200)}`);
    throw e;
  }
  const last = profile.stages.at(-1)!.id;
  const previous = profile.stages.at(-2)?.id ?? null;
  // Sign-offs gate only the final stage and are not in the credential: one stage less is consistent.
  const stageAgrees = c.verdict.stage === verdict.stage || (verdict.stage === last && c.verdict.stage === previous);
  if (c.verdict.strict_gate_passed !== verdict.strictGatePassed || !stageAgrees) {
    throw fail(
      'verdict_mismatch',
      `the results support stage ${JSON.stringify(verdict.stage)} and strict gate ${verdict.strictGatePassed}, the credential states ${JSON.stringify(c.verdict.stage)} and ${JSON.stringify(c.verdict.strict_gate_passed)}`,
    );
  }
  const recomputed = Object.freeze({ ...report, recomputed: true });
  // A profile that is not frozen is pinned afresh on every call, so a report under it could never be recalled.
  if (signedText !== undefined && Object.isFrozen(profile)) remember(signedText, pinned, recomputed);
  return recomputed;
}
