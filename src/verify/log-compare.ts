import { consistencyProof, verifyConsistency } from '../transparency/merkle.ts';
import { sameBytes } from '../util/bytes.ts';
import { BundleLogProblem, LogNotCarried, openBundleLog, type IndexedEntry, type OpenedBundleLog } from './bundle-log.ts';
import type { TrustBundle } from './trust-bundle.ts';

/*
 * Two trust bundles of one issuer, made at different times, compared as an auditor compares two
 * checkpoints of a log: the newer log must extend the older one (RFC 9162 consistency), entry for
 * entry. What the issuer can be caught at is named: a fork (one size, two roots), a history that
 * does not extend the older one, a rewritten entry (where it is), a log whose checkpoint or entries
 * do not hold on their own. Runtime-free: the CLI runs it, an auditor's own tooling could too.
 */

export type Which = 'from' | 'to';

export type LogComparisonProblem =
  /** One bundle's log does not hold on its own (bundle-log.ts names why). */
  | { readonly kind: 'bad_log'; readonly bundle: Which; readonly code: string; readonly detail: string }
  /** The two bundles carry different logs. */
  | { readonly kind: 'other_log'; readonly origins: readonly [string, string] }
  /** The older checkpoint is signed by a log key the newer bundle's key history does not hold. */
  | { readonly kind: 'other_key'; readonly kid: string }
  /** One size, two roots: the issuer signed two different logs. */
  | { readonly kind: 'fork'; readonly size: number }
  /** The newer checkpoint does not extend the older one (or is smaller). */
  | { readonly kind: 'inconsistent'; readonly from: number; readonly to: number }
  /** The entry at `index` differs between the two bundles. */
  | { readonly kind: 'rewritten_entry'; readonly index: number };

export interface LogComparison {
  readonly consistent: boolean;
  readonly problems: readonly LogComparisonProblem[];
  readonly from?: OpenedBundleLog;
  readonly to?: OpenedBundleLog;
  /** The newer log's entries past the older one's size, when the newer log holds. */
  readonly added: readonly IndexedEntry[];
}

/** A bundle with no log at all: nothing to compare, so no verdict either (exit 2, not 1). */
export class NoLogInBundle extends Error {
  constructor(
    readonly bundle: Which,
    why = 'carries no transparency log',
  ) {
    super(`the ${bundle === 'from' ? 'older (--from)' : 'newer (--to)'} trust bundle ${why}`);
    this.name = 'NoLogInBundle';
  }
}

async function opened(bundle: TrustBundle, which: Which, problems: LogComparisonProblem[]): Promise<OpenedBundleLog | undefined> {
  try {
    const log = await openBundleLog(bundle);
    if (!log) throw new NoLogInBundle(which);
    return log;
  } catch (e) {
    if (e instanceof LogNotCarried) throw new NoLogInBundle(which, `carries its log's checkpoint only: ${e.message}`);
    if (!(e instanceof BundleLogProblem)) throw e;
    problems.push({ kind: 'bad_log', bundle: which, code: e.code, detail: e.message });
    return undefined;
  }
}

/** The older bundle's log against the newer one's. Both bundles must already be opened (their signatures checked). */
export async function compareBundleLogs(older: TrustBundle, newer: TrustBundle): Promise<LogComparison> {
  if (!older.log) throw new NoLogInBundle('from');
  if (!newer.log) throw new NoLogInBundle('to');
  const problems: LogComparisonProblem[] = [];
  const from = await opened(older, 'from', problems);
  const to = await opened(newer, 'to', problems);

  if (older.log.origin !== newer.log.origin) problems.push({ kind: 'other_log', origins: [older.log.origin, newer.log.origin] });
  else {
    // Entry by entry, even when a log did not hold on its own: this is how a rewritten entry is found.
    const [olderEntries, newerEntries] = [older.log.entries ?? [], newer.log.entries ?? []];
    const shared = Math.min(olderEntries.length, newerEntries.length);
    for (let i = 0; i < shared; i++) if (olderEntries[i] !== newerEntries[i]) problems.push({ kind: 'rewritten_entry', index: i });
  }

  if (from && to && from.origin === to.origin) {
    const key = newer.log.keys.find((k) => k.kid === from.kid);
    const held = older.log.keys.find((k) => k.kid === from.kid)!;
    if (!key || key.verifier_key !== held.verifier_key) problems.push({ kind: 'other_key', kid: from.kid });
    const [a, b] = [from.checkpoint, to.checkpoint];
    if (a.size === b.size) {
      if (!sameBytes(a.root, b.root)) problems.push({ kind: 'fork', size: a.size });
    } else if (a.size > b.size) {
      problems.push({ kind: 'inconsistent', from: a.size, to: b.size });
    } else {
      // The proof an auditor would be served, computed from the newer entries, checked against the two signed roots alone.
      const proof = await consistencyProof(a.size, to.leaves);
      if (!(await verifyConsistency(a.size, b.size, a.root, b.root, proof)))
        problems.push({ kind: 'inconsistent', from: a.size, to: b.size });
    }
  }
  const added = from && to && from.checkpoint.size < to.checkpoint.size ? to.entries.slice(from.checkpoint.size) : [];
  return { consistent: problems.length === 0, problems, ...(from ? { from } : {}), ...(to ? { to } : {}), added };
}

/** A problem in a sentence, for the text report. */
export function problemSentence(p: LogComparisonProblem): string {
  switch (p.kind) {
    case 'bad_log':
      return `${p.bundle === 'from' ? 'the older' : 'the newer'} bundle's log does not hold (${p.code}): ${p.detail}`;
    case 'other_log':
      return `the bundles carry two different logs: ${p.origins[0]} and ${p.origins[1]}`;
    case 'other_key':
      return `the older checkpoint is signed by log key ${p.kid}, which the newer bundle's log key history does not hold`;
    case 'fork':
      return `fork: two checkpoints of size ${p.size} with different roots`;
    case 'inconsistent':
      return `the newer checkpoint (size ${p.to}) does not extend the older one (size ${p.from})`;
    case 'rewritten_entry':
      return `rewritten entry: entry ${p.index} differs between the two bundles`;
  }
}
