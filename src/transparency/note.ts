import { base64Decode, base64Encode } from '../util/base64.ts';
import { hexOf as hex, sameBytes } from '../util/bytes.ts';
import { sha256 } from '../util/sha256.ts';
import { TransparencyError } from './errors.ts';

/*
 * C2SP signed notes (c2sp.org/signed-note), the envelope of a transparency log's checkpoints:
 * a text ending in a newline, a blank line, then one line per signature,
 *
 *   — <key name> <base64(key ID || signature)>
 *
 * (an em dash U+2014 and a space). The key ID is the first four bytes of
 * SHA-256(key name || 0x0A || signature type || public key), and a verifier key is shared as
 * `<name>+<hex key ID>+<base64(signature type || public key)>`. Only Ed25519 (type 0x01) is made
 * or read here: it is what Go's sumdb/note, Sigstore and the C2SP witnesses sign with.
 */

const ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
/** Go's note.Open stops at this many signatures; so does this. */
const MAX_SIGNATURES = 100;

export interface NoteSigner {
  readonly name: string;
  readonly keyId: Uint8Array;
  sign(message: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  verify(message: Uint8Array<ArrayBuffer>, signature: Uint8Array<ArrayBuffer>): Promise<boolean>;
}

const encoder = new TextEncoder();

/** A key name: non-empty, without spaces or `+` (the separator of a verifier key). */
function checkName(name: string): void {
  if (name === '' || /[\s+\u2014]/u.test(name)) throw new TransparencyError('malformed_note', `${JSON.stringify(name)} is not a key name`);
}

/** The key ID of an Ed25519 key under `name`. */
export async function ed25519KeyId(name: string, publicKey: Uint8Array): Promise<Uint8Array> {
  checkName(name);
  if (publicKey.length !== 32) throw new TransparencyError('malformed_note', 'an Ed25519 public key is 32 bytes');
  const input = new Uint8Array([...encoder.encode(name), 0x0a, ED25519, ...publicKey]);
  return (await sha256(input)).slice(0, 4);
}

/** The verifier key text of an Ed25519 key, as a witness or an auditor is given it. */
export async function verifierKey(name: string, publicKey: Uint8Array): Promise<string> {
  return `${name}+${hex(await ed25519KeyId(name, publicKey))}+${base64Encode(Uint8Array.of(ED25519, ...publicKey))}`;
}

async function importEd25519Public(publicKey: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
}

/** A verifier from its key text; refused unless the key ID is the one the name and key give. */
export async function parseVerifierKey(vkey: string): Promise<NoteVerifier> {
  const refuse = () => new TransparencyError('malformed_note', `not an Ed25519 verifier key: ${JSON.stringify(vkey.slice(0, 200))}`);
  // The name holds no `+`; the base64 key after the ID may.
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/s.exec(vkey);
  if (!m) throw refuse();
  const [, name, idHex, keyText] = m as unknown as [string, string, string, string];
  let typed: Uint8Array<ArrayBuffer>;
  try {
    typed = base64Decode(keyText);
  } catch {
    throw refuse();
  }
  if (typed.length !== 33 || typed[0] !== ED25519) throw refuse();
  const publicKey = typed.slice(1);
  const keyId = await ed25519KeyId(name, publicKey);
  if (hex(keyId) !== idHex) throw refuse();
  const key = await importEd25519Public(publicKey);
  return { name, keyId, verify: (message, signature) => crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message) };
}

/** A signer for `name` with an Ed25519 private key and its public key. */
export async function ed25519Signer(name: string, privateKey: CryptoKey, publicKey: Uint8Array): Promise<NoteSigner> {
  const keyId = await ed25519KeyId(name, publicKey);
  return { name, keyId, sign: async (message) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, message)) };
}

/**
 * A note's text: non-empty, ending in a newline, and no control character but the newline. It
 * may hold empty lines (C2SP: the signatures start after the last one); a checkpoint's own
 * parser refuses them in a checkpoint.
 */
function checkText(text: string): void {
  if (text === '' || !text.endsWith('\n')) throw new TransparencyError('malformed_note', 'a note text is non-empty and ends in a newline');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new TransparencyError('malformed_note', 'a note text holds no control character');
}

/** The signed note: `text`, a blank line, then each signer's line. */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  checkText(text);
  if (signers.length === 0) throw new TransparencyError('malformed_note', 'a note needs a signature');
  const keys = new Set(signers.map((s) => `${s.name} ${hex(s.keyId)}`));
  if (keys.size !== signers.length) throw new TransparencyError('malformed_note', 'a key signs a note once');
  const message: Uint8Array<ArrayBuffer> = new Uint8Array(encoder.encode(text));
  const lines = await Promise.all(
    signers.map(async (s) => `${SIGNATURE_PREFIX}${s.name} ${base64Encode(new Uint8Array([...s.keyId, ...(await s.sign(message))]))}\n`),
  );
  return `${text}\n${lines.join('')}`;
}

export interface OpenedNote {
  readonly text: string;
  /** The names of the known keys whose signatures verified. */
  readonly verifiedBy: readonly string[];
}

/**
 * The text of a signed note, once a signature by one of `verifiers` verifies. Signatures by keys
 * not among them are skipped (a note may carry witnesses' cosignatures); a known key's signature
 * that does not verify refuses the whole note, as C2SP says.
 */
export async function openNote(note: string, verifiers: readonly NoteVerifier[]): Promise<OpenedNote> {
  const split = note.lastIndexOf('\n\n');
  if (split === -1) throw new TransparencyError('malformed_note', 'a signed note has a blank line before its signatures');
  const text = note.slice(0, split + 1);
  checkText(text);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw new TransparencyError('malformed_note', 'a signature line ends in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new TransparencyError('malformed_note', `a note carries at most ${MAX_SIGNATURES} signatures`);
  const message: Uint8Array<ArrayBuffer> = new Uint8Array(encoder.encode(text));
  const verifiedBy: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m) throw new TransparencyError('malformed_note', `not a signature line: ${JSON.stringify(line.slice(0, 200))}`);
    const [, name, encoded] = m as unknown as [string, string, string];
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = base64Decode(encoded);
    } catch {
      throw new TransparencyError('malformed_note', `the signature of ${name} is not base64`);
    }
    if (bytes.length < 5) throw new TransparencyError('malformed_note', `the signature of ${name} is too short`);
    const keyId = bytes.slice(0, 4);
    const verifier = verifiers.find((v) => v.name === name && sameBytes(v.keyId, keyId));
    // A key's second signature counts for nothing (as in Go's note.Open): a quorum of witnesses
    // cannot be met by repeating one of them.
    if (!verifier || seen.has(`${name} ${hex(keyId)}`)) continue;
    seen.add(`${name} ${hex(keyId)}`);
    if (!(await verifier.verify(message, bytes.slice(4))))
      throw new TransparencyError('invalid_note_signature', `the signature of ${name} (key ${hex(keyId)}) does not verify`);
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) throw new TransparencyError('unverified_note', 'no signature on the note is by a key this verifier knows');
  return { text, verifiedBy };
}
