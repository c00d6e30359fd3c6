import { sha256Url } from '../util/sha256.ts';
import { credentialDigest, entryText, issuerJwtDigest, type LogEvent } from './entries.ts';
import type { NewLogEntry } from './store.ts';

/*
 * The log entry of each change a verifier should know of, as the code that makes the change
 * appends it in its own transaction (docs/transparency-log.md, Entries).
 */

function entry(tenantId: string, at: Date, event: LogEvent, attestationId: string | null): NewLogEntry {
  return { body: entryText({ tenant: tenantId, at: at.toISOString(), event }), type: event.type, attestationId, at };
}

/** What an issuance entry records. */
export interface IssuedFacts {
  readonly attestationId: string;
  readonly credentials: readonly {
    readonly id: string;
    readonly format: 'vc+jwt' | 'jwt_vc_json' | 'dc+sd-jwt';
    readonly credential: string;
  }[];
  readonly profile: { readonly id: string; readonly version: string; readonly digest: string };
  readonly subjectName: string;
  /** `digest`: the entry names the subject by the SHA-256 of its name only. */
  readonly logSubjects: 'name' | 'digest';
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly kid: string;
  readonly supersedes: string | null;
  readonly issuedAt: Date;
}

/** An attestation issued: the SHA-256 of each credential exactly as issued, and what they say. */
export async function issuedEntry(tenantId: string, f: IssuedFacts): Promise<NewLogEntry> {
  const credentials = await Promise.all(
    f.credentials.map(async (c) => ({
      id: c.id,
      format: c.format,
      sha256: await credentialDigest(c.credential),
      ...(c.format === 'dc+sd-jwt' ? { issuer_jwt_sha256: await issuerJwtDigest(c.credential) } : {}),
    })),
  );
  return entry(
    tenantId,
    f.issuedAt,
    {
      type: 'attestation.issued',
      attestation: f.attestationId,
      credentials,
      profile: { ...f.profile },
      subject: f.logSubjects === 'digest' ? { name_sha256: await sha256Url(f.subjectName) } : { name: f.subjectName },
      valid_from: f.validFrom.toISOString(),
      valid_until: f.validUntil.toISOString(),
      kid: f.kid,
      ...(f.supersedes ? { supersedes: f.supersedes } : {}),
    },
    f.attestationId,
  );
}

type Status = 'valid' | 'suspended' | 'revoked';

/** An attestation's status changed; `reason` only where the tenant publishes one. */
export function statusChangedEntry(
  tenantId: string,
  c: { attestationId: string; from: Status; to: Status; at: Date; publicReason?: string | null },
): NewLogEntry {
  return entry(
    tenantId,
    c.at,
    {
      type: 'status.changed',
      attestation: c.attestationId,
      from: c.from,
      to: c.to,
      ...(c.publicReason ? { reason: c.publicReason } : {}),
    },
    c.attestationId,
  );
}

/** A signing key's event, the key named by its kid (its RFC 7638 thumbprint, keys/key-crypto.ts). */
export function keyEntry(
  tenantId: string,
  k: { type: 'key.created' | 'key.activated' | 'key.retired' | 'key.revoked'; kid: string; at: Date; reason?: string },
): NewLogEntry {
  return entry(tenantId, k.at, { type: k.type, kid: k.kid, ...(k.reason ? { reason: k.reason } : {}) }, null);
}

/** A tenant profile version published. */
export function profilePublishedEntry(tenantId: string, p: { id: string; version: string; digest: string; at: Date }): NewLogEntry {
  return entry(tenantId, p.at, { type: 'profile.published', id: p.id, version: p.version, digest: p.digest }, null);
}
