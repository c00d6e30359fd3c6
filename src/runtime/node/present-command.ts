import { calculateJwkThumbprint, decodeJwt, importJWK, type JWK } from 'jose';
import { bindToVerifier, disclosablePointers, selectDisclosures } from '../../verify/present.ts';
import { escapeUnprintable, printable } from '../../verify/report-text.ts';
import { VerificationFailure } from '../../verify/result.ts';
import { readBoundedText, UnreadableFile } from './bounded-file.ts';
import { UsageError } from './usage-error.ts';

/** The same cap as POST /v1/present: an SD-JWT VC is at most 256 KiB. */
const MAX_CREDENTIAL_FILE_BYTES = 262_144;
/** A JWK is a few hundred bytes; anything much larger is the wrong file. */
const MAX_HOLDER_KEY_FILE_BYTES = 16_384;

type HolderAlgorithm = 'ES256' | 'ES384' | 'EdDSA';
/** A holder key signs with the one algorithm its curve allows, so the key file alone decides it. */
const ALGORITHM_FOR: Readonly<Record<string, HolderAlgorithm>> = { 'EC/P-256': 'ES256', 'EC/P-384': 'ES384', 'OKP/Ed25519': 'EdDSA' };

export interface PresentArgs {
  readonly file: string | undefined;
  readonly reveal: readonly string[];
  readonly list: boolean;
  readonly holderKey: string | undefined;
  readonly audience: string | undefined;
  readonly nonce: string | undefined;
}

/** Input the command was given but cannot use (exit 2, one line, no usage text). */
class Unusable extends Error {}

/** `--reveal` repeated or comma-separated; a comma splits only where a pointer starts, since a claim name may hold one. */
function pointersOf(reveal: readonly string[]): string[] {
  const pointers = reveal.flatMap((r) => r.split(/,\s*(?=\/)/)).filter((p) => p !== '');
  const bad = pointers.find((p) => !p.startsWith('/'));
  if (bad !== undefined)
    throw new UsageError(`--reveal takes JSON pointers such as /results/security.ssrf, not ${printable(JSON.stringify(bad))}`);
  return pointers;
}

/**
 * The holder's private JWK. Nothing read from the file is ever echoed, not even in an error:
 * JSON.parse's own message quotes the text it choked on, which here is a private key.
 */
async function holderKeyFrom(path: string): Promise<{ key: CryptoKey; alg: HolderAlgorithm; jwk: JWK }> {
  const text = await readBoundedText(path, 'holder key file', MAX_HOLDER_KEY_FILE_BYTES);
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Unusable(`the holder key file ${path} is not a JWK (not JSON)`);
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Unusable(`the holder key file ${path} is not a JWK`);
  const { kty, crv, d } = jwk as JWK;
  const alg = ALGORITHM_FOR[`${String(kty)}/${String(crv)}`];
  if (alg === undefined) throw new Unusable(`the holder key in ${path} is not an EC P-256, EC P-384 or OKP Ed25519 JWK`);
  if (typeof d !== 'string') throw new Unusable(`the holder key in ${path} is a public key: signing needs the private JWK (with "d")`);
  try {
    return { key: (await importJWK(jwk as JWK, alg)) as CryptoKey, alg, jwk: jwk as JWK };
  } catch {
    throw new Unusable(`the holder key in ${path} is not a usable ${alg} private key`);
  }
}

/**
 * A key-binding JWT signed by another key than the credential's `cnf.jwk` would only fail at the
 * verifier, later and further away: refused here. Thumbprints (RFC 7638) use the public members
 * alone, so the private key compares as its public half.
 */
async function ensureBoundTo(presentation: string, holder: JWK, path: string): Promise<void> {
  let bound: string;
  try {
    const cnf = decodeJwt(presentation.split('~')[0]!).cnf as { jwk?: JWK } | undefined;
    if (typeof cnf?.jwk !== 'object' || cnf.jwk === null) throw new Error('no cnf.jwk');
    bound = await calculateJwkThumbprint(cnf.jwk);
  } catch {
    throw new Unusable('the credential is bound to no holder key (no usable cnf.jwk): a key-binding JWT would prove nothing');
  }
  if ((await calculateJwkThumbprint(holder)) !== bound)
    throw new Unusable(`the holder key in ${path} is not the key the credential is bound to (cnf.jwk)`);
}

/**
 * `launchproof present FILE [--list] [--reveal PTR ...] [--holder-key KEYFILE --aud AUD --nonce N]`:
 * the holder's side, done where the holder's key lives. Like `verify` it reads no configuration
 * and touches neither the network nor a database. Exit 0 done; 2 for a usage error or input it
 * cannot use (an unreadable file, not an SD-JWT, a claim that is not disclosable, a key that is
 * not the holder's private key).
 */
export async function presentCommand(
  args: PresentArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.file === undefined || args.file === '') throw new UsageError('present needs the FILE holding the SD-JWT VC');
  const binding = [args.holderKey, args.audience, args.nonce];
  const bind = binding.some((v) => v !== undefined);
  if (bind && binding.some((v) => v === undefined || v === ''))
    throw new UsageError('--holder-key, --aud and --nonce go together: the key-binding JWT needs all three');
  const reveal = pointersOf(args.reveal);
  if (args.list && (reveal.length > 0 || bind)) throw new UsageError('--list takes no --reveal, --holder-key, --aud or --nonce');
  try {
    const credential = (await readBoundedText(args.file, 'credential file', MAX_CREDENTIAL_FILE_BYTES)).trim();
    if (args.list) {
      // Escaped rather than cut: each line is meant to be passed back to --reveal whole.
      await out((await disclosablePointers(credential)).map((p) => `${escapeUnprintable(p)}\n`).join(''));
      return 0;
    }
    let presentation = await selectDisclosures(credential, reveal);
    if (bind) {
      const holder = await holderKeyFrom(args.holderKey!);
      await ensureBoundTo(presentation, holder.jwk, args.holderKey!);
      presentation = await bindToVerifier(
        presentation,
        { key: holder.key, alg: holder.alg },
        { audience: args.audience!, nonce: args.nonce! },
        new Date(),
      );
    }
    await out(`${presentation}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UnreadableFile || e instanceof Unusable) {
      err(`launchproof: ${e.message}\n`);
      return 2;
    }
    // Not an SD-JWT, a malformed disclosure, or a pointer that names no disclosable claim.
    if (e instanceof VerificationFailure) {
      err(`launchproof: ${args.file}: ${escapeUnprintable(e.message)} (${e.code})\n`);
      return 2;
    }
    throw e;
  }
}
