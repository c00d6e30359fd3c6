import { calculateJwkThumbprint, type JWK } from 'jose';
import { claimedCheckpoint, openCheckpoint, type Checkpoint } from '../transparency/checkpoint.ts';
import { parseEntry, type LogEntry } from '../transparency/entries.ts';
import { TransparencyError } from '../transparency/errors.ts';
import { leafHash, rootOf, type Hash } from '../transparency/merkle.ts';
import { parseVerifierKey, verifierKey } from '../transparency/note.ts';
import { base64urlDecode } from '../util/base64url.ts';
import { sameBytes } from '../util/bytes.ts';
import type { TrustBundle, TrustBundleLog, TrustBundleLogKey } from './trust-bundle.ts';

/*
 * A trust bundle's log opened and checked on its own, with nothing but the bundle: the checkpoint
 * signed by a log key the bundle (and its DID document, where it publishes one) names, and the
 * entries recomputing exactly the tree the checkpoint signs. Runtime-free: the CLI and the
 * offline HTML verifier run this same code.
 */

/** Why a bundle's log cannot be relied on; each code stable, for reports and scripts. */
export type BundleLogProblemCode =
  /** A log key whose kid, verifier key or DID document entry does not match its public key. */
  | 'log_key_mismatch'
  /** The DID document publishes log keys, and not the one that signed the checkpoint. */
  | 'log_key_unpublished'
  /** The checkpoint is not a signed note of a checkpoint at all. */
  | 'log_malformed_checkpoint'
  /** The checkpoint names another log than the bundle's. */
  | 'log_other_log'
  /** The checkpoint is not signed by any of the bundle's log keys (or its signature is bad): forged. */
  | 'log_forged_checkpoint'
  /** An entry is not a log entry in its one canonical form. */
  | 'log_malformed_entry'
  /** Fewer entries than the checkpoint's size: at least one index is missing. */
  | 'log_gap'
  /** More entries than the checkpoint's size. */
  | 'log_extra_entries'
  /** As many entries as the checkpoint's size, and they give another root: an entry was changed. */
  | 'log_rewritten_entry'
  /** The issuer's DID document publishes a log key, and the bundle carries no log: the log was left out. */
  | 'log_missing';

/**
 * The most entries a bundle carries: about 20 MiB of the 32 MiB a verifier opens, beside the rest
 * of the bundle. A log grown past it is carried as its checkpoint and keys alone.
 */
export const MAX_BUNDLE_LOG_ENTRIES = 20_000;

/** A log too large for the bundle to carry its entries: signed, but nothing can be found in it here. */
export class LogNotCarried extends Error {
  constructor(readonly size: number) {
    super(
      `the issuer's log holds ${size} entries, more than a trust bundle carries (${MAX_BUNDLE_LOG_ENTRIES}): the bundle has its signed checkpoint only; prove a credential's entry with the log's tiles or an audit export`,
    );
    this.name = 'LogNotCarried';
  }
}

export class BundleLogProblem extends Error {
  constructor(
    readonly code: BundleLogProblemCode,
    detail: string,
    /** The entry concerned, where the bundle alone can tell which. */
    readonly index?: number,
  ) {
    super(detail);
    this.name = 'BundleLogProblem';
  }
}

/** A sequenced entry as read back: its index, its exact bytes and what it says. */
export interface IndexedEntry {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly entry: LogEntry;
}

export interface OpenedBundleLog {
  readonly origin: string;
  readonly checkpoint: Checkpoint;
  /** The log key whose signature on the checkpoint verified. */
  readonly kid: string;
  /** Whether that key is one the bundle's DID document publishes (false: the DID document publishes no log key at all). */
  readonly keyInDidDocument: boolean;
  readonly entries: readonly IndexedEntry[];
  /** The leaf hash of each entry, by index. */
  readonly leaves: readonly Hash[];
}

const utf8 = new TextEncoder();

/** The log key's own claims agree: kid is the JWK's thumbprint, verifier key is that key under the log's origin. */
async function checkLogKey(origin: string, key: TrustBundleLogKey): Promise<void> {
  const jwk = key.public_jwk as JWK;
  let thumbprint: string | undefined;
  try {
    thumbprint = await calculateJwkThumbprint(jwk);
  } catch {
    thumbprint = undefined;
  }
  if (thumbprint !== key.kid) throw new BundleLogProblem('log_key_mismatch', `log key ${key.kid} is not the key its kid names`);
  let expected: string;
  try {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not Ed25519');
    expected = await verifierKey(origin, base64urlDecode(jwk.x));
  } catch {
    throw new BundleLogProblem('log_key_mismatch', `log key ${key.kid} is not an Ed25519 public key named by the log's origin`);
  }
  if (expected !== key.verifier_key)
    throw new BundleLogProblem('log_key_mismatch', `the verifier key of log key ${key.kid} is not its public key under ${origin}`);
}

/** The DID document's log verification methods (`#log-<kid>`), by kid. */
function didDocumentLogKeys(bundle: TrustBundle): Map<string, Record<string, unknown>> {
  const methods = bundle.did_document.verificationMethod;
  const found = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(methods)) return found;
  const prefix = `${bundle.issuer.did}#log-`;
  for (const m of methods as unknown[]) {
    if (typeof m !== 'object' || m === null) continue;
    const id = (m as { id?: unknown }).id;
    if (typeof id === 'string' && id.startsWith(prefix)) found.set(id.slice(prefix.length), m as Record<string, unknown>);
  }
  return found;
}

/** The checkpoint opened with the first of the bundle's log keys that signed it. */
async function openWithBundleKeys(log: TrustBundleLog): Promise<{ checkpoint: Checkpoint; kid: string }> {
  let claimed: Checkpoint;
  try {
    claimed = claimedCheckpoint(log.checkpoint);
  } catch (e) {
    if (!(e instanceof TransparencyError)) throw e;
    throw new BundleLogProblem('log_malformed_checkpoint', `the bundle's checkpoint is not a signed checkpoint: ${e.message}`);
  }
  if (claimed.origin !== log.origin)
    throw new BundleLogProblem(
      'log_other_log',
      `the checkpoint is of the log ${JSON.stringify(claimed.origin)}, not of this bundle's log ${JSON.stringify(log.origin)}`,
    );
  for (const key of log.keys) {
    try {
      const { checkpoint } = await openCheckpoint(log.checkpoint, log.origin, await parseVerifierKey(key.verifier_key));
      return { checkpoint, kid: key.kid };
    } catch (e) {
      if (!(e instanceof TransparencyError)) throw e;
    }
  }
  throw new BundleLogProblem('log_forged_checkpoint', `the checkpoint is not signed by any log key of ${log.origin} the bundle holds`);
}

/**
 * The bundle's log, checked: undefined when the bundle carries none and its DID document names
 * no log key (one made before the log);
 * a BundleLogProblem, naming what is wrong, when it cannot be relied on.
 */
export async function openBundleLog(bundle: TrustBundle): Promise<OpenedBundleLog | undefined> {
  const log = bundle.log;
  if (!log) {
    // A bundle made before the issuer kept a log has none, and neither has its DID document a log
    // key. One whose DID document names a log key had a log to carry: leaving it out would let
    // the issuer hide a credential from one buyer.
    if (didDocumentLogKeys(bundle).size > 0)
      throw new BundleLogProblem('log_missing', "the issuer's DID document publishes a log key, but the trust bundle carries no log");
    return undefined;
  }
  for (const key of log.keys) await checkLogKey(log.origin, key);
  const { checkpoint, kid } = await openWithBundleKeys(log);

  // The DID document is the issuer's published identity: where it lists log keys, the signer must be one of them.
  const published = didDocumentLogKeys(bundle);
  const method = published.get(kid);
  if (published.size > 0 && !method)
    throw new BundleLogProblem('log_key_unpublished', `the log key ${kid} that signed the checkpoint is not in the issuer's DID document`);
  if (method) {
    const jwk = method.publicKeyJwk as { x?: unknown } | undefined;
    const key = log.keys.find((k) => k.kid === kid)!;
    if (jwk?.x !== (key.public_jwk as { x?: unknown }).x)
      throw new BundleLogProblem('log_key_mismatch', `the DID document's log key ${kid} is not the bundle's key of that kid`);
  }

  if (log.entries === undefined) {
    // Only a log too large to carry may come without its entries: otherwise the issuer left them out.
    if (checkpoint.size <= MAX_BUNDLE_LOG_ENTRIES)
      throw new BundleLogProblem('log_gap', `the bundle carries none of the ${checkpoint.size} entries its checkpoint signs`);
    throw new LogNotCarried(checkpoint.size);
  }
  const entries: IndexedEntry[] = log.entries.map((text, index) => {
    const bytes = utf8.encode(text);
    try {
      return { index, bytes, entry: parseEntry(bytes) };
    } catch (e) {
      if (!(e instanceof TransparencyError)) throw e;
      throw new BundleLogProblem('log_malformed_entry', `entry ${index} is not a log entry in its canonical form`, index);
    }
  });
  if (entries.length < checkpoint.size)
    throw new BundleLogProblem(
      'log_gap',
      `the bundle holds ${entries.length} entries for a checkpoint of ${checkpoint.size}: at least one index is missing`,
    );
  if (entries.length > checkpoint.size)
    throw new BundleLogProblem('log_extra_entries', `the bundle holds ${entries.length} entries for a checkpoint of ${checkpoint.size}`);
  const leaves = await Promise.all(entries.map((e) => leafHash(e.bytes as Uint8Array<ArrayBuffer>)));
  if (!sameBytes(await rootOf(leaves), checkpoint.root))
    throw new BundleLogProblem(
      'log_rewritten_entry',
      `the ${entries.length} entries do not give the root the checkpoint signs: an entry was changed (which one, only an earlier copy of the log can say: launchproof log verify)`,
    );
  return { origin: log.origin, checkpoint, kid, keyInDidDocument: method !== undefined, entries, leaves };
}
