import { base64Decode, base64Encode } from '../util/base64.ts';
import { TransparencyError } from './errors.ts';
import { openNote, type NoteVerifier } from './note.ts';

/*
 * A log checkpoint in the C2SP tlog-checkpoint text form (c2sp.org/tlog-checkpoint), the body of
 * the signed note a log publishes:
 *
 *   <origin>
 *   <tree size, decimal>
 *   <root hash, base64>
 *   [extension lines]
 *
 * each line ended by a newline. The origin names the log (and, by convention, is also the name of
 * its key), so a checkpoint of one log can never pass for another's.
 */

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** Lines after the root hash, opaque to this module. */
  readonly extensions: readonly string[];
}

const SIZE = /^(?:0|[1-9][0-9]*)$/;

const malformed = (detail: string) => new TransparencyError('malformed_checkpoint', `not a tlog checkpoint: ${detail}`);

/** The checkpoint's text, ready to be signed as a note. */
export function checkpointText(c: Checkpoint): string {
  if (c.origin === '' || /[\n\r]/.test(c.origin)) throw malformed('the origin is one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw malformed('the size is a whole number');
  if (c.root.length !== 32) throw malformed('the root is a SHA-256 hash');
  for (const e of c.extensions) if (e === '' || /[\n\r]/.test(e)) throw malformed('an extension is one non-empty line');
  return [c.origin, String(c.size), base64Encode(c.root), ...c.extensions].map((l) => `${l}\n`).join('');
}

/**
 * The checkpoint a signed note claims, read before (or without) checking its signatures: the
 * signatures follow the note's last blank line (its text may hold empty lines; a checkpoint's
 * never does). Trusted only once openCheckpoint has checked who signed it.
 */
export function claimedCheckpoint(note: string): Checkpoint {
  const split = note.lastIndexOf('\n\n');
  if (split === -1) throw new TransparencyError('malformed_note', 'no blank line ends the note text');
  return parseCheckpoint(note.slice(0, split + 1));
}

/** The checkpoint a note's text holds; anything else is refused, naming what is wrong. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw malformed('it ends in a newline');
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (!origin) throw malformed('the first line names the log');
  if (size === undefined || !SIZE.test(size) || !Number.isSafeInteger(Number(size))) throw malformed('the second line is the tree size');
  let hash: Uint8Array;
  try {
    hash = base64Decode(root ?? '');
  } catch {
    throw malformed('the third line is the root hash in base64');
  }
  if (hash.length !== 32) throw malformed('the root hash is 32 bytes');
  if (extensions.some((e) => e === '')) throw malformed('no line is empty');
  return { origin, size: Number(size), root: hash, extensions };
}

/**
 * The checkpoint of the log named `origin`, from its signed note: signed by the log's own key
 * (a note that only witnesses signed proves nothing about what the log committed to), and of
 * that log (a checkpoint of another log, however well signed, is not this one's). Witnesses'
 * cosignatures are verified when their keys are given, and named.
 */
export async function openCheckpoint(
  note: string,
  origin: string,
  log: NoteVerifier,
  witnesses: readonly NoteVerifier[] = [],
): Promise<{ checkpoint: Checkpoint; witnessedBy: readonly string[] }> {
  const opened = await openNote(note, [log, ...witnesses]);
  if (!opened.verifiedBy.includes(log.name))
    throw new TransparencyError('unverified_note', `the checkpoint is not signed by the log's key ${log.name}`);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== origin)
    throw new TransparencyError(
      'malformed_checkpoint',
      `the checkpoint is of ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(origin)}`,
    );
  return { checkpoint, witnessedBy: opened.verifiedBy.filter((n) => n !== log.name) };
}
