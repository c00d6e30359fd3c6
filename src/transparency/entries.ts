import canonicalize from 'canonicalize';
import { z } from 'zod';
import { sha256Url } from '../util/sha256.ts';
import { TransparencyError } from './errors.ts';

/*
 * What a tenant's log holds: one entry per event that changes what a verifier should believe
 * (docs/transparency-log.md, Entries). An entry's bytes are the RFC 8785 (JCS) canonical JSON of
 * the event with its tenant and instant, so one event has exactly one leaf, and anybody can
 * re-encode a parsed entry and compare. Nothing goes in that a credential does not already make
 * public; a tenant may log the SHA-256 of each subject's name instead of the name.
 */

const instant = z.iso.datetime({ offset: false, precision: 3 });
const id = z.string().min(1).max(200);
const digest = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url SHA-256');
const status = z.enum(['valid', 'suspended', 'revoked']);

const subject = z.union([z.strictObject({ name: z.string().min(1).max(500) }), z.strictObject({ name_sha256: digest })]);

const events = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('attestation.issued'),
    attestation: id,
    credentials: z
      .array(
        z.strictObject({
          id,
          format: z.enum(['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt']),
          sha256: digest,
          // An SD-JWT is presented with fewer disclosures (and a key-binding JWT) than it was issued
          // with; its issuer-signed JWT is the same in every presentation, so a verifier holding a
          // presentation finds the entry by this one.
          issuer_jwt_sha256: digest.optional(),
        }),
      )
      .min(1)
      .max(3),
    profile: z.strictObject({ id, version: id, digest: z.string().regex(/^sha256-[A-Za-z0-9+/]{43}=$/) }),
    subject,
    valid_from: instant,
    valid_until: instant,
    kid: id,
    supersedes: id.optional(),
  }),
  z.strictObject({ type: z.literal('status.changed'), attestation: id, from: status, to: status, reason: z.string().max(500).optional() }),
  z.strictObject({
    type: z.enum(['key.created', 'key.activated', 'key.retired', 'key.revoked']),
    kid: id,
    reason: z.string().max(500).optional(),
  }),
  z.strictObject({ type: z.literal('profile.published'), id, version: id, digest: z.string().regex(/^sha256-[A-Za-z0-9+/]{43}=$/) }),
]);

export type LogEvent = z.infer<typeof events>;

export interface LogEntry {
  readonly tenant: string;
  /** The instant of the change, UTC to the millisecond. */
  readonly at: string;
  readonly event: LogEvent;
}

const entrySchema = z.object({ tenant: id, at: instant }).passthrough();

/** C2SP entry bundles prefix each entry by its length in two bytes: no entry is longer. */
export const MAX_ENTRY_BYTES = 0xffff;

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The entry's bytes: the canonical JSON of the event, its tenant and instant. */
export function entryBytes(entry: LogEntry): Uint8Array<ArrayBuffer> {
  return encode(entry.tenant, entry.at, events.parse(entry.event));
}

/** The entry's bytes as the text they are (UTF-8 JSON): what the store keeps. */
export function entryText(entry: LogEntry): string {
  return strictUtf8.decode(entryBytes(entry));
}

/** The canonical bytes of an event already validated. */
function encode(tenant: string, at: string, event: LogEvent): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(canonicalize({ ...event, tenant, at })!);
  if (bytes.length > MAX_ENTRY_BYTES) throw new RangeError(`a log entry is at most ${MAX_ENTRY_BYTES} bytes, not ${bytes.length}`);
  return new Uint8Array(bytes);
}

/** An entry read back from its bytes; refused unless the bytes are exactly its canonical encoding. */
export function parseEntry(bytes: Uint8Array): LogEntry {
  const refuse = (detail: string) => new TransparencyError('malformed_entry', `not a log entry: ${detail}`);
  let json: unknown;
  try {
    json = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw refuse('not UTF-8 JSON');
  }
  const outer = entrySchema.safeParse(json);
  if (!outer.success) throw refuse('no tenant or instant');
  const { tenant, at, ...rest } = outer.data;
  const event = events.safeParse(rest);
  if (!event.success) throw refuse(event.error.issues[0]?.message ?? 'not a known event');
  const entry = { tenant, at, event: event.data };
  const again = encode(tenant, at, event.data);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw refuse('not in canonical form');
  return entry;
}

/** base64url(SHA-256) of a credential exactly as issued: how an issuance entry names it. */
export function credentialDigest(credential: string): Promise<string> {
  return sha256Url(credential);
}

/** base64url(SHA-256) of an SD-JWT's issuer-signed JWT (the text before its first `~`), which every presentation of it carries unchanged. */
export function issuerJwtDigest(sdJwt: string): Promise<string> {
  const end = sdJwt.indexOf('~');
  return sha256Url(end === -1 ? sdJwt : sdJwt.slice(0, end));
}

/** A C2SP entry bundle: each entry prefixed by its length, big-endian, in two bytes. */
export function entryBundle(entries: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let at = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES) throw new RangeError(`a log entry is at most ${MAX_ENTRY_BYTES} bytes`);
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** The entries of a bundle; undefined when the lengths do not add up to the bundle. */
export function bundleEntries(bundle: Uint8Array): Uint8Array[] | undefined {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) return undefined;
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + length > bundle.length) return undefined;
    entries.push(bundle.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}
