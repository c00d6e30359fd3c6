import { decodeBitstringStatusList, decodeTokenStatusList } from '../status/codec.ts';
import { AppError } from '../errors/index.ts';
import type { IssuerKey, IssuerKeySource } from './issuer-keys.ts';
import { jsonSegment } from './input.ts';
import { VerificationFailure, type StatusValue } from './result.ts';
import { issuerReference, verifySignature } from './signature.ts';

/** Where status lists come from: fetched (online, cached for their ttl) or taken from a trust bundle (offline). */
export interface StatusListSource {
  /** The compact JWS served at `url`: a statuslist+jwt, or a Bitstring Status List credential as vc+jwt. */
  fetch(url: string): Promise<string>;
}

const fail = (code: string, detail: string) => new VerificationFailure('status', code, detail);

type SignedList = { header: Record<string, unknown>; payload: Record<string, unknown> };

/**
 * Lists whose signature has been checked, by the key object that checked them and their exact
 * text. A list is the same document for thousands of credentials: checking its signature (and
 * inflating it, below) once per copy rather than once per verification is what lets the service
 * answer verifications from memory. The key is looked up and judged (revoked?) on every use; only
 * the pure function "does this text verify under this key" is remembered. Bounded per key.
 */
const checkedLists = new WeakMap<IssuerKey, Map<string, SignedList>>();
const LISTS_PER_KEY = 64;

function remember(key: IssuerKey, jws: string, list: SignedList): void {
  let byText = checkedLists.get(key);
  if (!byText) checkedLists.set(key, (byText = new Map()));
  if (byText.size >= LISTS_PER_KEY) byText.delete(byText.keys().next().value!);
  byText.set(jws, list);
}

/** The list at `url`, its signature checked with the credential issuer's own key. */
async function signedDocument(url: string, source: StatusListSource, issuer: string, keys: IssuerKeySource): Promise<SignedList> {
  const jws = await source.fetch(url);
  const parts = jws.split('.');
  if (parts.length !== 3) throw fail('malformed_list', `the status list at ${url} is not a compact JWS`);
  const header = jsonSegment(parts[0]!, 'status list header');
  let key: IssuerKey;
  try {
    key = (await verifySignature(jws, header, issuerReference(issuer), keys, (k) => checkedLists.get(k)?.has(jws) ?? false)).key;
  } catch (e) {
    if (e instanceof VerificationFailure) throw fail(`list_${e.code}`, `status list at ${url}: ${e.message}`);
    throw e;
  }
  const known = checkedLists.get(key)?.get(jws);
  if (known) return known;
  const list = { header, payload: jsonSegment(parts[1]!, 'status list payload') };
  remember(key, jws, list);
  return list;
}

/** Decoded lists, by the payload object they came from (remembered above for as long as the copy is). */
const decoded = new WeakMap<object, Promise<unknown>>();
function decodeOnce<T>(payload: object, decode: () => Promise<T>): Promise<T> {
  let list = decoded.get(payload) as Promise<T> | undefined;
  if (!list) {
    list = decode();
    decoded.set(payload, list);
  }
  return list;
}

/** A list that expires at or before this instant (seconds) is no longer current. */
const staleBefore = (deps: { now: Date; skewSeconds: number }) => deps.now.getTime() / 1000 - deps.skewSeconds;

const TOKEN_VALUES: Record<number, StatusValue> = { 0: 'valid', 1: 'revoked', 2: 'suspended' };

/** SD-JWT VC `status.status_list {idx, uri}` against the IETF Token Status List at uri. */
export async function tokenStatus(
  reference: unknown,
  issuer: string,
  deps: { source: StatusListSource; keys: IssuerKeySource; now: Date; skewSeconds: number },
): Promise<{ value: StatusValue; list: string }> {
  const ref = (reference as { status_list?: { idx?: unknown; uri?: unknown } } | undefined)?.status_list;
  if (!ref || !Number.isSafeInteger(ref.idx) || (ref.idx as number) < 0 || typeof ref.uri !== 'string') {
    throw fail('malformed_reference', 'status.status_list needs a non-negative integer idx and a uri');
  }
  const { header, payload } = await signedDocument(ref.uri, deps.source, issuer, deps.keys);
  if (header.typ !== 'statuslist+jwt') throw fail('malformed_list', 'the status list token is not typ statuslist+jwt');
  if (payload.sub !== ref.uri) throw fail('list_subject_mismatch', 'the status list token was not issued for the URL it was fetched from');
  if (payload.iss !== undefined && payload.iss !== issuer) throw fail('list_issuer_mismatch', 'the status list token has another issuer');
  if (typeof payload.exp === 'number' && payload.exp <= staleBefore(deps)) throw fail('list_expired', 'the status list token has expired');
  const list = await decodeOnce(payload, () => decodeTokenStatusList(payload.status_list)).catch((e: unknown) => {
    throw fail('malformed_list', e instanceof AppError ? e.message : 'the status list cannot be decoded');
  });
  if ((ref.idx as number) >= list.size) throw fail('index_out_of_range', 'the status index lies beyond the list');
  const value = TOKEN_VALUES[list.get(ref.idx as number)];
  if (!value) throw fail('unknown_status_value', `status value ${list.get(ref.idx as number)} is not one this verifier understands`);
  return { value, list: ref.uri };
}

interface BitstringEntry {
  type?: unknown;
  statusPurpose?: unknown;
  statusListIndex?: unknown;
  statusListCredential?: unknown;
}

/** VC Data Model `credentialStatus` BitstringStatusListEntry items (revocation, suspension). */
export async function bitstringStatus(
  credentialStatus: unknown,
  issuer: string,
  deps: { source: StatusListSource; keys: IssuerKeySource; now: Date; skewSeconds: number },
): Promise<{ value: StatusValue; lists: string[] }> {
  const entries = [credentialStatus].flat() as BitstringEntry[];
  let value: StatusValue = 'valid';
  const lists: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null || entry.type !== 'BitstringStatusListEntry') {
      throw fail('unsupported_status_type', 'credentialStatus holds an entry that is not a BitstringStatusListEntry');
    }
    const index =
      typeof entry.statusListIndex === 'string' && /^(0|[1-9]\d{0,9})$/.test(entry.statusListIndex) ? Number(entry.statusListIndex) : NaN;
    if (!Number.isSafeInteger(index) || typeof entry.statusListCredential !== 'string') {
      throw fail('malformed_reference', 'a BitstringStatusListEntry needs a decimal statusListIndex and a statusListCredential URL');
    }
    if (entry.statusPurpose !== 'revocation' && entry.statusPurpose !== 'suspension') {
      throw fail('unsupported_status_purpose', `status purpose ${JSON.stringify(entry.statusPurpose)} is not revocation or suspension`);
    }
    const { payload } = await signedDocument(entry.statusListCredential, deps.source, issuer, deps.keys);
    const issuerOf = typeof payload.issuer === 'string' ? payload.issuer : (payload.issuer as { id?: unknown } | undefined)?.id;
    if (issuerOf !== issuer) throw fail('list_issuer_mismatch', 'the status list credential has another issuer');
    if (payload.id !== undefined && payload.id !== entry.statusListCredential)
      throw fail('list_subject_mismatch', 'the status list credential is not the one referenced');
    const subject = payload.credentialSubject as { type?: unknown; statusPurpose?: unknown; encodedList?: unknown } | undefined;
    if (subject?.type !== 'BitstringStatusList' || subject.statusPurpose !== entry.statusPurpose) {
      throw fail('list_purpose_mismatch', 'the status list credential is not a BitstringStatusList for this purpose');
    }
    if (typeof payload.validUntil === 'string' && Date.parse(payload.validUntil) / 1000 <= staleBefore(deps)) {
      throw fail('list_expired', 'the status list credential has expired');
    }
    const list = await decodeOnce(subject, () => decodeBitstringStatusList(subject.encodedList)).catch((e: unknown) => {
      throw fail('malformed_list', e instanceof AppError ? e.message : 'the status list cannot be decoded');
    });
    if (index >= list.size) throw fail('index_out_of_range', 'the status index lies beyond the list');
    lists.push(entry.statusListCredential);
    if (list.get(index) === 1) value = entry.statusPurpose === 'revocation' ? 'revoked' : value === 'revoked' ? value : 'suspended';
  }
  return { value, lists };
}
