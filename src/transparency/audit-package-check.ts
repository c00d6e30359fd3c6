import { hexOf } from '../util/bytes.ts';
import type { AuditPackage } from './audit-package.ts';
import { claimedCheckpoint, openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { parseEntry } from './entries.ts';
import { TransparencyError } from './errors.ts';
import { leafHash, verifyInclusion } from './merkle.ts';
import { parseVerifierKey, type NoteVerifier } from './note.ts';

/*
 * The offline check of an audit export's package (`launchproof audit verify`): the checkpoint is
 * the log's, signed by its key (the one the auditor pinned, or else one the package carries);
 * every entry is in canonical form, of the package's tenant, within its range, at an index the
 * checkpoint covers and no other entry has, and proved included in that checkpoint. Each failure
 * is named with the entry it concerns. What a package cannot prove is that no entry of the range
 * was left out: that takes the log itself (its tiles and entry bundles, audit.ts).
 */

export type PackageProblemCode =
  /** The checkpoint, an entry or the pinned key is of another log (or tenant). */
  | 'other_log'
  /** No signature on the checkpoint is by the pinned key, or by any log key the package carries. */
  | 'unsigned_checkpoint'
  /** A signature by the log's key is on the checkpoint but does not verify: the checkpoint was altered or forged. */
  | 'forged_checkpoint'
  | 'malformed_checkpoint'
  /** A log key the package carries is not a verifier key. */
  | 'malformed_key'
  /** An entry that is not a log entry in canonical form. */
  | 'malformed_entry'
  /** The entry's text is not what the log holds at its index: its stated leaf hash is proved, its text's is not. */
  | 'rewritten_entry'
  /** Neither the entry's text nor its stated leaf hash is proved included: the proof (or both) was changed. */
  | 'bad_proof'
  /** The entry is proved, but the leaf hash written beside it is not its hash. */
  | 'leaf_hash_mismatch'
  | 'duplicate_index'
  /** An index the checkpoint's tree does not reach. */
  | 'beyond_checkpoint'
  /** An entry whose instant is outside the package's range, or a range that is not one. */
  | 'out_of_range';

export interface PackageProblem {
  readonly code: PackageProblemCode;
  readonly index?: number;
  readonly message: string;
}

export interface PackageReport {
  readonly verified: boolean;
  readonly origin: string;
  readonly from: string;
  readonly to: string;
  readonly entries: number;
  /** The checkpoint, once it opened. */
  readonly checkpoint?: { readonly size: number; readonly root: string; readonly signedBy: string };
  readonly problems: readonly PackageProblem[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const instant = (text: string) => (RFC3339.test(text) ? Date.parse(text) : NaN);
const utf8 = new TextEncoder();
const unhex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/** The checkpoint opened with one of `verifiers`, or the problem that stops every other check. */
async function openWith(
  p: AuditPackage,
  verifiers: readonly NoteVerifier[],
  pinned: boolean,
): Promise<{ checkpoint: Checkpoint; signedBy: string } | PackageProblem> {
  let claimed: Checkpoint;
  try {
    claimed = claimedCheckpoint(p.checkpoint);
  } catch (e) {
    return { code: 'malformed_checkpoint', message: e instanceof Error ? e.message : String(e) };
  }
  if (claimed.origin !== p.origin)
    return { code: 'other_log', message: `the checkpoint is of the log ${claimed.origin}, the package says ${p.origin}` };
  let forged: string | undefined;
  for (const v of verifiers) {
    try {
      const { checkpoint } = await openCheckpoint(p.checkpoint, p.origin, v);
      return { checkpoint, signedBy: `${v.name}+${hexOf(v.keyId)}` };
    } catch (e) {
      if (!(e instanceof TransparencyError)) throw e;
      if (e.code === 'invalid_note_signature') forged = e.message;
      else if (e.code !== 'unverified_note') return { code: 'malformed_checkpoint', message: e.message };
    }
  }
  if (forged !== undefined) return { code: 'forged_checkpoint', message: `the checkpoint was altered or forged: ${forged}` };
  return {
    code: 'unsigned_checkpoint',
    message: pinned
      ? 'the checkpoint is not signed by the pinned log key'
      : 'the checkpoint is not signed by any log key the package carries',
  };
}

/** Checks `p`; with `expectKey` (a verifier key's text) only that key may sign its checkpoint. */
export async function checkAuditPackage(p: AuditPackage, options: { expectKey?: NoteVerifier } = {}): Promise<PackageReport> {
  const problems: PackageProblem[] = [];
  const report = (checkpoint?: PackageReport['checkpoint']): PackageReport => ({
    verified: problems.length === 0,
    origin: p.origin,
    from: p.from,
    to: p.to,
    entries: p.entries.length,
    ...(checkpoint ? { checkpoint } : {}),
    problems,
  });

  const from = instant(p.from);
  const to = instant(p.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from > to)
    problems.push({ code: 'out_of_range', message: `the range ${p.from} to ${p.to} is not two RFC 3339 instants in order` });

  let verifiers: NoteVerifier[];
  if (options.expectKey) {
    if (options.expectKey.name !== p.origin) {
      problems.push({ code: 'other_log', message: `the pinned key is of the log ${options.expectKey.name}, the package of ${p.origin}` });
      return report();
    }
    verifiers = [options.expectKey];
  } else {
    verifiers = [];
    for (const k of p.logKeys) {
      try {
        const v = await parseVerifierKey(k);
        if (v.name === p.origin) verifiers.push(v);
        else problems.push({ code: 'other_log', message: `a log key of the package is of ${v.name}, not ${p.origin}` });
      } catch (e) {
        problems.push({ code: 'malformed_key', message: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  const opened = await openWith(p, verifiers, options.expectKey !== undefined);
  if ('code' in opened) {
    problems.push(opened);
    return report();
  }
  const { checkpoint } = opened;

  const seen = new Set<number>();
  for (const e of p.entries) {
    const at = (code: PackageProblemCode, message: string) =>
      problems.push({ code, index: e.index, message: `entry ${e.index}: ${message}` });
    if (seen.has(e.index)) at('duplicate_index', 'a second entry at this index');
    seen.add(e.index);
    if (e.index >= checkpoint.size) {
      at('beyond_checkpoint', `the checkpoint's tree has ${checkpoint.size} entries`);
      continue;
    }
    const bytes = utf8.encode(e.entry);
    try {
      const entry = parseEntry(bytes);
      if (entry.tenant !== p.tenant) at('other_log', `of tenant ${entry.tenant}, the package is of ${p.tenant}`);
      const when = Date.parse(entry.at);
      if (!(when >= from && when <= to)) at('out_of_range', `its instant ${entry.at} is outside ${p.from} to ${p.to}`);
    } catch (err) {
      if (!(err instanceof TransparencyError)) throw err;
      at('malformed_entry', err.message);
    }
    const proof = e.inclusionProof.map(unhex);
    const leaf = await leafHash(bytes);
    if (await verifyInclusion(e.index, checkpoint.size, leaf, proof, checkpoint.root)) {
      if (hexOf(leaf) !== e.leafHash) at('leaf_hash_mismatch', `its leaf hash is ${hexOf(leaf)}, the package says ${e.leafHash}`);
    } else if (await verifyInclusion(e.index, checkpoint.size, unhex(e.leafHash), proof, checkpoint.root)) {
      at('rewritten_entry', 'its text is not the entry the log holds at this index (the leaf hash beside it is)');
    } else {
      at('bad_proof', 'not proved included in the checkpoint: its inclusion proof does not lead to the checkpoint’s root');
    }
  }
  return report({ size: checkpoint.size, root: hexOf(checkpoint.root), signedBy: opened.signedBy });
}
