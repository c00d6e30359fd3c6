import { AppError } from '../errors/index.ts';
import { DAY_MS } from '../keys/policy.ts';
import type { ExpiringEvidence } from '../readiness/index.ts';
import type { IssueRequest } from './issue-request.ts';

/** Default validity when the caller names none: a quarter, or less where the policy says so. */
const DEFAULT_VALIDITY_DAYS = 90;
/** Clock skew tolerated for a `valid_from` a moment in the past; anything older is backdating. */
const SKEW_MS = 5 * 60_000;
const MAX_FUTURE_START_DAYS = 30;

export interface Validity {
  readonly from: Date;
  readonly until: Date;
}

/**
 * What the request and the tenant's key policy allow, before the assessment is looked at: checked
 * first, so a request wrong in several ways is refused for the same reason as before evidence
 * had expiries.
 */
export function requestedValidity(request: IssueRequest, now: Date, maxDays: number): Validity {
  const from = request.valid_from ? new Date(request.valid_from) : now;
  const until = request.valid_until
    ? new Date(request.valid_until)
    : new Date(from.getTime() + Math.min(DEFAULT_VALIDITY_DAYS, maxDays) * DAY_MS);
  const refuse = (pointer: string, detail: string) => new AppError('invalid_request', detail, { fields: [{ pointer, detail }] });
  if (from.getTime() < now.getTime() - SKEW_MS) throw refuse('/valid_from', 'must not be in the past: a credential is never backdated');
  if (from.getTime() > now.getTime() + MAX_FUTURE_START_DAYS * DAY_MS)
    throw refuse('/valid_from', `must be within ${MAX_FUTURE_START_DAYS} days from now`);
  if (until.getTime() <= from.getTime()) throw refuse('/valid_until', 'must be after valid_from');
  if (until.getTime() - from.getTime() > maxDays * DAY_MS)
    throw refuse('/valid_until', `the tenant's key policy allows at most ${maxDays} days of validity`);
  return { from, until };
}

/**
 * The validity an issuance gets, the one place it is decided for every path (API, VC-API,
 * OID4VCI): what was asked, cut to the earliest expiry of the evidence a passing time-bound
 * control relies on (issue 14), since the credential must not vouch for a control longer than
 * its proof holds. A validity the caller named is never cut silently: it is refused with the
 * latest instant allowed, so the caller decides. `expiring` is earliest first; `at` re-roots its
 * pointers where the assessment sits in the request ('' for a stored one).
 */
export function boundByEvidence(
  requested: Validity,
  named: boolean,
  expiring: readonly ExpiringEvidence[],
  now: Date,
  at: string,
): Validity {
  const first = expiring[0];
  if (!first || first.expiresAt.getTime() >= requested.until.getTime()) return requested;
  const latest = first.expiresAt.toISOString();
  if (first.expiresAt.getTime() <= now.getTime()) {
    const detail = `control '${first.control}' relies on evidence ${first.uri} that expired at ${latest}`;
    throw new AppError('evidence_expired', detail, { fields: [{ pointer: at + first.pointer, detail }] });
  }
  if (named || first.expiresAt.getTime() <= requested.from.getTime()) {
    const detail = `control '${first.control}' relies on evidence ${first.uri} that expires at ${latest}: valid_until may be ${latest} at the latest`;
    throw new AppError('evidence_expires_before_validity', detail, {
      fields: [{ pointer: at + first.pointer, detail }],
    });
  }
  return { from: requested.from, until: first.expiresAt };
}
