import type { Actor } from '../audit/events.ts';
import type { AttestationContent } from '../credentials/attestation.ts';
import { signJwtVcJson } from '../credentials/formats/jwt-vc-json.ts';
import { signSdJwtVc } from '../credentials/formats/sd-jwt-vc.ts';
import { signVcJwt } from '../credentials/formats/vc-jwt.ts';
import type { CredentialFormat } from '../credentials/records.ts';
import { activeSigner, type IssuerSigner } from '../credentials/signer.ts';
import { typeMetadata } from '../credentials/type-metadata.ts';
import { AppError, underPointer } from '../errors/index.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { extendSignedUntil } from '../keys/key-store.ts';
import { DAY_MS } from '../keys/policy.ts';
import type { Metrics } from '../metrics/port.ts';
import { expiringEvidence, findBuiltinProfile, jcsDigestSri } from '../readiness/index.ts';
import { once } from '../store/idempotency.ts';
import type { Database, Queryable } from '../store/port.ts';
import { retryingTransaction } from '../store/retry.ts';
import { together } from '../store/together.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { evaluateAssessment, requireAssessment, type StoredAssessment } from './assessments.ts';
import { resolveHolder, type Holder } from './holder.ts';
import { requireProfile } from './profiles.ts';
import { boundByEvidence, requestedValidity, type Validity } from './validity.ts';
import type { IssueRequest } from './issue-request.ts';
import { attestationOfCredential, findAttestation, markProfileUsed, recordIssuance, successorOf } from './store.ts';
import { insertEvidenceExpiries } from '../evidence/store.ts';
import { allocateSlot } from '../status/allocate.ts';
import { ensureFirstCopy } from '../status/publish.ts';
import { statusListUrls } from '../status/urls.ts';
import { lockedIssuerSettings } from '../tenants/tenants.ts';
import { issuedEntry } from '../transparency/events.ts';

export interface IssueDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly origin: URL;
  readonly now: Date;
  readonly actor: Actor;
  readonly metrics?: Metrics;
}

/** Everything but the id: the formats of one issuance differ only in their credential id. */
function baseContent(stored: StoredAssessment, v: Validity, now: Date, holder: Holder | undefined): Omit<AttestationContent, 'id'> {
  return {
    subject: stored.assessment.subject,
    profile: stored.verdict.profile,
    assessmentId: stored.id,
    verdict: stored.verdict,
    results: stored.assessment.results,
    validFrom: v.from,
    validUntil: v.until,
    issuedAt: now,
    ...(holder?.jwk ? { holderJwk: holder.jwk } : {}),
    ...(holder?.did ? { holderDid: holder.did } : {}),
  };
}

async function sign(format: CredentialFormat, c: AttestationContent, signer: IssuerSigner, origin: URL): Promise<string> {
  switch (format) {
    case 'vc+jwt':
      return signVcJwt(c, signer, origin);
    case 'jwt_vc_json':
      return signJwtVcJson(c, signer, origin);
    case 'dc+sd-jwt':
      return signSdJwtVc(c, signer, origin, (await typeMetadata(origin)).integrity);
  }
}

/** One issuance, as the use case returns it; routes map it to their wire form. */
export interface IssuedAttestation {
  readonly attestationId: string;
  readonly assessment: { readonly id: string; readonly verdict: StoredAssessment['verdict'] };
  /** The signing key as a DID URL. */
  readonly kid: string;
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly supersedes: string | null;
  readonly credentials: readonly { readonly id: string; readonly format: CredentialFormat; readonly credential: string }[];
}

/**
 * The attestation this one replaces: of this tenant (row-level security and the tenant filter
 * both see to that), of the same subject, and not replaced already. Locked, so two issuances
 * cannot both supersede it; the unique index on `supersedes` is the wall behind the lock.
 */
async function checkSupersedes(tx: Queryable, tenantId: string, id: string, subject: { name: string; id: string | null }) {
  const refuse = (code: 'supersedes_other_subject' | 'attestation_not_found', detail: string) =>
    new AppError(code, detail, { fields: [{ pointer: '/supersedes', detail }] });
  const older = await findAttestation(tx, tenantId, id, { forUpdate: true });
  if (!older) throw refuse('attestation_not_found', `tenant ${tenantId} has no attestation ${id}`);
  if (older.subjectName !== subject.name || older.subjectId !== subject.id)
    throw refuse('supersedes_other_subject', `attestation ${id} is about ${older.subjectName}, not ${subject.name}`);
  const successor = await successorOf(tx, tenantId, id);
  if (successor) throw new AppError('already_superseded', `attestation ${id} was already superseded by ${successor.id}`);
}

/**
 * Starts the reads an issuance needs whatever it asks for, all at once: the tenant's policy (its
 * row locked first, as each statement runs in the order sent), the signing key and a status slot.
 * They need no answer from one another, so the driver sends them in one write and they cost one
 * round trip, not three. Awaited in the order a sequential issuance met them, so a request that
 * is wrong in several ways is refused for the same reason as before.
 *
 * The slot is claimed before the checks that may still refuse (a superseded attestation, an
 * unknown profile, no key able to sign): such a refusal rolls the claim back with the rest, and
 * holds one of the list's 32 claim cursors until then. The request body has passed its schema
 * before this transaction starts, so only those few refusals pay it; every issuance that
 * succeeds saves two round trips.
 */
function startReads(tx: Queryable, deps: IssueDeps, tenantId: string) {
  const settings = lockedIssuerSettings(tx, tenantId);
  const signer = activeSigner(tx, deps.kek, deps.origin, tenantId, deps.now);
  const slot = allocateSlot(tx, tenantId, deps.now);
  const all = [settings, signer, slot];
  // Each is awaited below or, when an earlier step refuses, settled before the refusal leaves:
  // none may still be queued on the connection when the transaction rolls back.
  for (const p of all) p.catch(() => {});
  return { settings, signer, slot, settled: () => Promise.allSettled(all) };
}

async function issueLocked(tx: Queryable, deps: IssueDeps, tenantId: string, request: IssueRequest): Promise<IssuedAttestation> {
  const reads = startReads(tx, deps, tenantId);
  try {
    return await issueWith(tx, deps, tenantId, request, reads);
  } catch (e) {
    await reads.settled();
    throw e;
  }
}

async function issueWith(
  tx: Queryable,
  deps: IssueDeps,
  tenantId: string,
  request: IssueRequest,
  reads: ReturnType<typeof startReads>,
): Promise<IssuedAttestation> {
  const { keyPolicy: policy, logSubjects } = await reads.settings;
  const holder = resolveHolder(request);
  const requested = requestedValidity(request, deps.now, policy.maxCredentialValidityDays);
  // A new assessment is evaluated here and stored with the attestation, in one statement below.
  const evaluated = request.assessment_id
    ? undefined
    : await underPointer('/assessment', () => evaluateAssessment(tx, deps, tenantId, request.assessment!));
  const stored = evaluated?.stored ?? (await requireAssessment(tx, tenantId, request.assessment_id!));
  const profileOf =
    evaluated?.profile ?? (await requireProfile(tx, tenantId, stored.verdict.profile.id, stored.verdict.profile.version)).pinned.profile;
  const expiring = expiringEvidence(profileOf, stored.assessment);
  const v = boundByEvidence(requested, request.valid_until !== undefined, expiring, deps.now, evaluated ? '/assessment' : '');
  const subject = {
    name: `${stored.assessment.subject.organisation} / ${stored.assessment.subject.product}`,
    id: stored.assessment.subject.id ?? null,
  };
  if (request.supersedes) await checkSupersedes(tx, tenantId, request.supersedes, subject);
  const signer = await reads.signer;
  // One slot for the attestation: every format points at it, so one change reaches them all.
  const slot = await reads.slot;
  // Readers never sign: a list gets its first signed copy with the first credential that points at it.
  await ensureFirstCopy(tx, deps, tenantId, slot);

  const attestationId = crypto.randomUUID();
  const status = { index: slot.index, urls: statusListUrls(deps.origin, tenantId, slot.listId) };
  const base = baseContent(stored, v, deps.now, holder);
  const credentials = await Promise.all(
    request.formats.map(async (format) => {
      const id = crypto.randomUUID();
      const c: AttestationContent = { ...base, id: `urn:uuid:${id}`, status };
      return { id: c.id, rowId: id, format, credential: await sign(format, c, signer, deps.origin) };
    }),
  );
  const profile = stored.verdict.profile;
  const logEntry = await issuedEntry(tenantId, {
    attestationId,
    credentials: credentials.map((c) => ({ id: c.id, format: c.format, credential: c.credential })),
    profile,
    subjectName: subject.name,
    logSubjects,
    validFrom: v.from,
    validUntil: v.until,
    kid: signer.kid,
    supersedes: request.supersedes ?? null,
    issuedAt: deps.now,
  });
  // Rounded up to the next UTC midnight, so the key's row changes about once a day.
  const signedUntil = new Date(Math.ceil(v.until.getTime() / DAY_MS) * DAY_MS);
  // The writes need no answer from one another: sent together, one round trip.
  await together([
    recordIssuance(tx, {
      ...(evaluated ? { assessment: evaluated } : {}),
      attestation: {
        id: attestationId,
        tenantId,
        assessmentId: stored.id,
        profileId: profile.id,
        profileVersion: profile.version,
        subjectName: subject.name,
        subjectId: subject.id,
        kid: signer.kid,
        issuedAt: deps.now,
        validFrom: v.from,
        validUntil: v.until,
        issuedBy: deps.actor,
        supersedes: request.supersedes ?? null,
        statusListId: slot.listId,
        statusIndex: slot.index,
      },
      holder: holder ? { ...holder } : null,
      credentials: credentials.map((c) => ({ id: c.rowId, format: c.format, credential: c.credential })),
      event: {
        action: 'attestation.issued',
        target: attestationId,
        detail: {
          assessment: stored.id,
          credentials: credentials.map((c) => ({ id: c.id, format: c.format })),
          kid: signer.kid,
          ...(request.supersedes ? { supersedes: request.supersedes } : {}),
        },
      },
      logEntry,
    }),
    // After the statement that inserts the attestation (statements run in the order sent): the
    // rows point at it. What the reminder sweep reads (migrations/0015_evidence_freshness.sql).
    insertEvidenceExpiries(tx, tenantId, attestationId, expiring),
    // Only when it grows: the key's row is shared by every issuance of the tenant.
    ...(signer.signedUntil && signer.signedUntil >= signedUntil ? [] : [extendSignedUntil(tx, tenantId, signer.kid, signedUntil)]),
    // Built-in profiles have no row to mark.
    ...(findBuiltinProfile(profile.id, profile.version) ? [] : [markProfileUsed(tx, tenantId, profile.id, profile.version, deps.now)]),
  ]);
  return {
    attestationId,
    assessment: { id: stored.id, verdict: stored.verdict },
    kid: signer.didUrl,
    validFrom: v.from,
    validUntil: v.until,
    supersedes: request.supersedes ?? null,
    credentials: credentials.map((c) => ({ id: c.id, format: c.format, credential: c.credential })),
  };
}

/** An issuance as an Idempotency-Key row holds it: the result's JSON form. */
interface StoredIssuance {
  readonly attestationId: string;
  readonly assessment: IssuedAttestation['assessment'];
  readonly kid: string;
  readonly validFrom: string;
  readonly validUntil: string;
  readonly supersedes: string | null;
  readonly credentials: IssuedAttestation['credentials'];
}

/** Rows written before issuance returned a typed result hold the wire body of that time. */
interface LegacyStoredIssuance {
  readonly assessment: IssuedAttestation['assessment'];
  readonly kid: string;
  readonly valid_from: string;
  readonly valid_until: string;
  readonly credentials: readonly { id: string; format: CredentialFormat; credential: string }[];
}

/**
 * The result a replay answers. A legacy row has no attestation id: a retry of such a request
 * still gets its credentials back, with the attestation migration 5 made of them.
 */
async function fromStored(tx: Queryable, tenantId: string, stored: unknown): Promise<IssuedAttestation> {
  if (typeof (stored as { attestationId?: unknown }).attestationId === 'string') {
    const s = stored as StoredIssuance;
    return { ...s, validFrom: new Date(s.validFrom), validUntil: new Date(s.validUntil) };
  }
  const legacy = stored as LegacyStoredIssuance;
  const first = legacy.credentials[0]?.id.replace(/^urn:uuid:/, '');
  const attestationId = first === undefined ? undefined : await attestationOfCredential(tx, tenantId, first);
  // Migration 5 gave every stored credential an attestation; a stored response without one is not ours.
  if (attestationId === undefined) throw new TypeError('a stored issuance names no credential with an attestation');
  return {
    attestationId,
    assessment: legacy.assessment,
    kid: legacy.kid,
    validFrom: new Date(legacy.valid_from),
    validUntil: new Date(legacy.valid_until),
    supersedes: null,
    credentials: legacy.credentials.map((c) => ({ id: c.id, format: c.format, credential: c.credential })),
  };
}

/**
 * Issues every requested format of one attestation in a single transaction: a credential is
 * returned only once its record is stored, and any failure leaves nothing behind. With an
 * Idempotency-Key the same request returns the same result (`replayed`), a different one is
 * refused.
 */
export async function issueAttestations(
  deps: IssueDeps,
  tenantId: string,
  request: IssueRequest,
  idempotencyKey?: string,
): Promise<IssuedAttestation & { replayed: boolean }> {
  const fingerprint = idempotencyKey ? await jcsDigestSri(request) : undefined;
  const out = await retryingTransaction(() =>
    withTenant(deps.db, tenantId, async (tx) => {
      if (!idempotencyKey || !fingerprint) return { ...(await issueLocked(tx, deps, tenantId, request)), replayed: false };
      const run = await once(tx, { tenantId, operation: 'attestations.issue', key: idempotencyKey, fingerprint, now: deps.now }, () =>
        issueLocked(tx, deps, tenantId, request),
      );
      return run.replayed ? { ...(await fromStored(tx, tenantId, run.stored)), replayed: true } : { ...run.result, replayed: false };
    }),
  );
  // Counted once committed, outside the retried transaction: a retry or a replay issues nothing new.
  if (!out.replayed) for (const c of out.credentials) deps.metrics?.record({ kind: 'issued', format: c.format, tenant: tenantId });
  return out;
}

/**
 * One issuance inside a transaction the caller owns, for a caller whose own writes must commit
 * with the credentials or not at all (the OID4VCI credential endpoint's claim on its offer).
 * The caller runs it under `withTenant` and `retryingTransaction`.
 */
export function issueAttestationsIn(tx: Queryable, deps: IssueDeps, tenantId: string, request: IssueRequest): Promise<IssuedAttestation> {
  return issueLocked(tx, deps, tenantId, request);
}
