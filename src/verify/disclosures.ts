import { base64urlUtf8 } from '../util/base64url.ts';
import { sha256Url } from '../util/sha256.ts';
import { jsonPointer } from '../util/json-pointer.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './json-limits.ts';
import { VerificationFailure } from './result.ts';

/*
 * The one walk over an SD-JWT's disclosures (RFC 9901 §7.1), for both sides: verification reads
 * the claims it yields, presentation the JSON pointer of each disclosure it reaches. Every
 * disclosure presented must be referenced by exactly one digest, in the payload or in another
 * disclosure, and every digest may appear once.
 *
 * Hand-written because @sd-jwt 0.19.0 (core, decode, present) enforces none of that:
 * `bench/sd-jwt-walk.bench.ts` runs each §7.1 rule through both, and the library's getClaims
 * accepts a duplicated, unreferenced or twice-referenced disclosure, a digest repeated in the
 * payload, a disclosed name that overwrites a signed one, array-element and named disclosures in
 * each other's places, the reserved name `_sd`, an `_sd` that is not an array and any `_sd_alg`;
 * a verifier built on it would report claims the issuer never signed for as absent instead of
 * reporting the tampering. Its presentation side names claims by dotted paths, so the claim
 * `a.b` and the claim `b` inside `a` are one key (two keys for three disclosures). Speed does not
 * argue for it either: on the bench's 40-disclosure credential this walk costs 0.9 ms of CPU to
 * apply them where getClaims costs 1.3-2.0 ms, and 0.9 ms to select three results where present
 * costs 1.4-2.5 ms (medians, two runs on the shared two-core machine). Both are bound by the 40
 * SHA-256 digests, which this walk takes all at once.
 */

const fail = (code: string, detail: string) => new VerificationFailure('disclosures', code, detail);

interface Disclosure {
  readonly encoded: string;
  readonly name?: string;
  readonly value: unknown;
  used: boolean;
}

function parseDisclosure(encoded: string): Disclosure {
  let value: unknown;
  try {
    value = JSON.parse(base64urlUtf8(encoded));
  } catch {
    throw fail('malformed_disclosure', 'a disclosure is not base64url-encoded JSON');
  }
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3) || typeof value[0] !== 'string') {
    throw fail('malformed_disclosure', 'a disclosure is not [salt, value] or [salt, name, value]');
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw fail('malformed_disclosure', 'a disclosure nests too deep');
  if (value.length === 3) {
    const name = value[1];
    if (typeof name !== 'string' || name === '_sd' || name === '...')
      throw fail('malformed_disclosure', 'a disclosure names an invalid claim');
    return { encoded, name, value: value[2], used: false };
  }
  return { encoded, value: value[1], used: false };
}

/**
 * A member set as data: `__proto__` from JSON is a claim like any other, and plain assignment
 * would make it the prototype of the claims instead (the claim lost, its members inherited).
 */
function setClaim(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

const isElementDigest = (element: unknown): element is { '...': unknown } =>
  typeof element === 'object' && element !== null && !Array.isArray(element) && Object.keys(element).length === 1 && '...' in element;

/**
 * Presented disclosures the payload does not reach (and repeats of one): a verifier refuses them
 * as tampering; a holder preparing a presentation leaves them out, since choosing what to send
 * is the holder's to do. Everything else is issuer-signed structure and is refused either way:
 * a presentation of it could never verify.
 */
export type Extras = 'refuse' | 'drop';

export interface Disclosed {
  readonly encoded: string;
  /** JSON pointer of the claim, or array element, it reveals (an element by its place in the signed array). */
  readonly pointer: string;
}

export interface Walked {
  /** The payload with the disclosures applied: `_sd`, `_sd_alg`, decoys and undisclosed elements removed. */
  readonly claims: Record<string, unknown>;
  /** Each disclosure the payload reaches, in the order the walk meets it (enclosing before enclosed). */
  readonly disclosed: readonly Disclosed[];
}

/**
 * Applies `encoded` to the issuer-signed `payload`. Refuses an unknown `_sd_alg`, a malformed
 * disclosure or `_sd`, a disclosure in the wrong place or under a reserved name, a disclosed name
 * already present, and a digest met twice; with `refuse`, also a disclosure presented twice or
 * referenced by no digest.
 */
export async function walkDisclosures(payload: Record<string, unknown>, encoded: readonly string[], extras: Extras): Promise<Walked> {
  const alg = payload._sd_alg ?? 'sha-256';
  if (alg !== 'sha-256') throw fail('unsupported_digest', `_sd_alg ${JSON.stringify(alg)} is not sha-256`);
  // All at once: WebCrypto digests are asynchronous, and awaiting 40 in turn halves the rate (bench: 610/s against 1,295/s).
  const digests = await Promise.all(encoded.map(sha256Url));
  const byDigest = new Map<string, Disclosure | VerificationFailure>();
  for (const [i, text] of encoded.entries()) {
    const digest = digests[i]!;
    if (byDigest.has(digest)) {
      if (extras === 'refuse') throw fail('duplicate_disclosure', 'the same disclosure is presented twice');
      continue;
    }
    try {
      byDigest.set(digest, parseDisclosure(text));
    } catch (e) {
      if (extras === 'refuse' || !(e instanceof VerificationFailure)) throw e;
      // Unreadable and perhaps unreferenced: dropped if nothing reaches it, refused if something does.
      byDigest.set(digest, e);
    }
  }

  const seen = new Set<string>();
  const disclosed: Disclosed[] = [];
  const path: (string | number)[] = [];

  const reach = (digest: string): Disclosure | undefined => {
    if (seen.has(digest)) throw fail('digest_referenced_twice', 'a digest appears more than once in the payload and its disclosures');
    seen.add(digest);
    const d = byDigest.get(digest);
    if (d instanceof VerificationFailure) throw d;
    if (d) d.used = true;
    return d;
  };
  const reveal = (d: Disclosure, at: string | number): unknown => {
    path.push(at);
    disclosed.push({ encoded: d.encoded, pointer: jsonPointer(path) });
    const value = walk(d.value);
    path.pop();
    return value;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    // The payload and each disclosure are bounded on their own, but a disclosure inside another
    // nests further: the claims they reveal get the bound of any JSON read here, or a chain of
    // them would overflow the stack.
    if (path.length >= MAX_JSON_DEPTH) throw fail('malformed_disclosure', `the disclosed claims nest deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const [i, element] of value.entries()) {
        if (!isElementDigest(element)) {
          path.push(i);
          out.push(walk(element));
          path.pop();
          continue;
        }
        const digest = element['...'];
        const d = typeof digest === 'string' ? reach(digest) : undefined;
        if (!d) continue; // a decoy, or an element the holder did not disclose
        if (d.name !== undefined) throw fail('malformed_disclosure', 'an array element disclosure carries a claim name');
        out.push(reveal(d, i));
      }
      return out;
    }
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source)) {
      if (k === '_sd') continue;
      path.push(k);
      setClaim(out, k, walk(v));
      path.pop();
    }
    const sd = source._sd;
    if (sd === undefined) return out;
    if (!Array.isArray(sd) || sd.some((x) => typeof x !== 'string')) throw fail('malformed_payload', '_sd is not an array of digests');
    for (const digest of sd as string[]) {
      const d = reach(digest);
      if (!d) continue;
      if (d.name === undefined) throw fail('malformed_disclosure', 'an object property disclosure has no claim name');
      if (Object.hasOwn(out, d.name)) throw fail('claim_collision', `disclosed claim ${d.name} is already present`);
      setClaim(out, d.name, reveal(d, d.name));
    }
    return out;
  };

  const { _sd_alg: _ignored, ...rest } = payload;
  const claims = walk(rest) as Record<string, unknown>;
  if (extras === 'refuse') {
    const unreferenced = [...byDigest.values()].filter((d) => !(d as Disclosure).used).length;
    if (unreferenced > 0)
      throw fail('unreferenced_disclosure', `${unreferenced} disclosure(s) are referenced by no digest: altered or foreign`);
  }
  return { claims, disclosed };
}
