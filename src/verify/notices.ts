import type { StatusValue } from './result.ts';

/**
 * What the issuer says about the attestation a credential belongs to, beyond the status bit its
 * lists publish: since when the status holds, the reason where the issuer chose to publish one,
 * and the attestation that replaced it. Informational: the signed status lists stay what decides
 * `verified`; a notice only explains it, so a missing notice never fails a verification.
 */
export interface AttestationNotice {
  /** The attestation id (a UUID): one issuance, whatever formats it was issued in. */
  readonly attestation: string;
  readonly status: StatusValue;
  /** When the current status was set; absent while the attestation has never changed. */
  readonly changedAt?: string;
  /** The reason the issuer chose to publish with the last change; never its internal note. */
  readonly reason?: string;
  /** The newer attestation that replaces this one, and when it was issued. */
  readonly supersededBy?: { readonly attestation: string; readonly issuedAt: string };
}

/** Where notices come from: this deployment's records, the issuer's public notice URL, or nowhere (offline). */
export type NoticeSource = (issuer: string, credentialId: string) => Promise<AttestationNotice | undefined>;

const UUID_URN = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The bare UUID of a `urn:uuid:` credential id, or undefined for any other id. */
export function credentialUuid(id: unknown): string | undefined {
  return typeof id === 'string' ? UUID_URN.exec(id)?.[1]?.toLowerCase() : undefined;
}

/**
 * The public notice URL of a credential of a launchproof issuer: `{issuer URL}/notices/{uuid}`.
 * did:web issuers map to their https URL the way did:web does (`:` path separators, `%3A` port).
 */
export function noticeUrl(issuer: string, credentialId: string): string | undefined {
  let base: string | undefined;
  if (issuer.startsWith('did:web:')) {
    const [host, ...path] = issuer.slice('did:web:'.length).split(':');
    if (!host || path.length === 0) return undefined;
    const decodedHost = decodeURIComponent(host);
    const scheme = /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(decodedHost) ? 'http' : 'https';
    base = `${scheme}://${decodedHost}/${path.map(decodeURIComponent).join('/')}`;
  } else if (/^https?:\/\//.test(issuer)) {
    base = issuer.replace(/\/$/, '');
  }
  return base ? `${base}/notices/${credentialId}` : undefined;
}

/** The wire form served at the notice URL (the API's snake_case) and read back from it. */
export interface NoticeJson {
  attestation_id: string;
  status: StatusValue;
  changed_at?: string;
  reason?: string;
  superseded_by?: { attestation_id: string; issued_at: string };
}

export function noticeToJson(n: AttestationNotice): NoticeJson {
  return {
    attestation_id: n.attestation,
    status: n.status,
    ...(n.changedAt ? { changed_at: n.changedAt } : {}),
    ...(n.reason ? { reason: n.reason } : {}),
    ...(n.supersededBy ? { superseded_by: { attestation_id: n.supersededBy.attestation, issued_at: n.supersededBy.issuedAt } } : {}),
  };
}

const STATUSES = new Set(['valid', 'revoked', 'suspended']);
const str = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);

/** A notice read from the network, taken member by member: anything malformed is dropped, never trusted. */
export function noticeFromJson(value: unknown): AttestationNotice | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const attestation = str(v.attestation_id, 64);
  if (!attestation || typeof v.status !== 'string' || !STATUSES.has(v.status)) return undefined;
  const changedAt = str(v.changed_at, 40);
  const reason = str(v.reason, 500);
  const sb = (typeof v.superseded_by === 'object' && v.superseded_by !== null ? v.superseded_by : {}) as Record<string, unknown>;
  const sbId = str(sb.attestation_id, 64);
  const sbAt = str(sb.issued_at, 40);
  return {
    attestation,
    status: v.status as StatusValue,
    ...(changedAt && !Number.isNaN(Date.parse(changedAt)) ? { changedAt } : {}),
    ...(reason ? { reason } : {}),
    ...(sbId && sbAt ? { supersededBy: { attestation: sbId, issuedAt: sbAt } } : {}),
  };
}
