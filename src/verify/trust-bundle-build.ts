import { FlattenedSign } from 'jose';
import { findProfile } from '../attestations/profiles.ts';
import { citedProfileVersions } from '../attestations/store.ts';
import { activeSigner } from '../credentials/signer.ts';
import { didDocument, jwtVcIssuerMetadata, publishedJwk } from '../did/documents.ts';
import { issuerIdentity } from '../did/issuer-identity.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { keyLifecycleJson } from '../keys/history-json.ts';
import { listKeys, logKeys } from '../keys/key-store.ts';
import { logVerifierKey } from '../keys/log-key.ts';
import { publishedKeys, type KeyRecord } from '../keys/lifecycle.ts';
import type { Profile } from '../readiness/index.ts';
import { currentPublication } from '../status/publish.ts';
import { listIdsOf, type Publication } from '../status/store.ts';
import { statusListUrls } from '../status/urls.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { inExistingTenant, tenantById } from '../tenants/tenants.ts';
import { logView } from '../transparency/reader.ts';
import { sequenceTenant, type SequencerDeps } from '../transparency/sequencer.ts';
import { entriesInRange, pendingEntries } from '../transparency/store.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import { MAX_BUNDLE_LOG_ENTRIES } from './bundle-log.ts';
import { base64urlEncode } from '../util/base64url.ts';
import {
  TRUST_BUNDLE_TYP,
  TRUST_BUNDLE_TYPE,
  TRUST_BUNDLE_VERSION,
  type SignedTrustBundle,
  type TrustBundle,
  type TrustBundleKey,
  type TrustBundleLog,
  type TrustBundleProfile,
} from './trust-bundle.ts';

export interface TrustBundleDeps {
  readonly tenantId: string;
  readonly origin: URL;
  readonly kek: KeyEncryptionKey;
  readonly now: Date;
  /** The service's log sequencer on the bundle's connection, to catch the log up with the lists first. */
  readonly sequencer: SequencerDeps;
}

function historyEntry(k: KeyRecord): TrustBundleKey {
  return { ...keyLifecycleJson(k), public_jwk: { ...publishedJwk(k) } };
}

/**
 * The profile versions the tenant's credentials cite: its own, once used (a version is immutable
 * and load-bearing from its first issuance on), and the built-ins it issued under.
 */
async function profilesUsed(tx: Queryable, tenantId: string): Promise<TrustBundleProfile[]> {
  const cited = await citedProfileVersions(tx, tenantId);
  const entries = await Promise.all(cited.map((c) => findProfile(tx, tenantId, c.id, c.version)));
  return entries
    .filter((e) => e !== undefined)
    .map((e) => ({
      origin: e.origin,
      id: e.pinned.profile.id,
      version: e.pinned.profile.version,
      digest: e.pinned.digest,
      profile: e.pinned.profile as Profile,
    }));
}

/**
 * The entries of each tenant's latest checkpoint, as last read: a bundle is asked for far more
 * often than its log grows, and the checkpoint (which commits to every entry) says when the log
 * must be read again. Bounded by weight (the entries' length), so a few large logs cannot hold
 * the process's memory.
 */
const carriedEntries = new BoundedCache<readonly string[]>(256, 64 * 1024 * 1024);

/**
 * The tenant's log as of its latest checkpoint: the signed note, every log key, and every entry the
 * checkpoint covers (the entries are the tree an auditor recomputes), or none past
 * MAX_BUNDLE_LOG_ENTRIES. Undefined while the log has nothing sequenced. Read in the bundle's
 * transaction, so the entries are exactly those the checkpoint signs.
 */
async function bundleLog(tx: Queryable, tenantId: string): Promise<TrustBundleLog | undefined> {
  const view = await logView(tx, tenantId);
  if (!view) return undefined;
  const origin = view.head.origin;
  const size = view.checkpoint.size;
  const cacheKey = `${tenantId}\u0000${view.note}`;
  const readEntries = async (): Promise<readonly string[] | undefined> => {
    if (size > MAX_BUNDLE_LOG_ENTRIES) return undefined;
    const held = carriedEntries.get(cacheKey);
    if (held) return held;
    const entries = await entriesInRange(tx, tenantId, 0, size);
    if (entries.length !== size || entries.some((e, i) => e.index !== i))
      throw new TypeError(`the log of ${tenantId} holds ${entries.length} sequenced entries for a checkpoint of ${size}`);
    const bodies = entries.map((e) => e.body);
    carriedEntries.set(
      cacheKey,
      bodies,
      bodies.reduce((n, b) => n + b.length, 0),
    );
    return bodies;
  };
  const [keys, entries] = await Promise.all([logKeys(tx, tenantId), readEntries()]);
  return {
    origin,
    checkpoint: view.note,
    keys: await Promise.all(
      keys.map(async (k) => ({
        kid: k.kid,
        public_jwk: { ...k.publicJwk },
        verifier_key: await logVerifierKey({ origin, publicJwk: k.publicJwk }),
        created_at: k.createdAt.toISOString(),
        retired_at: k.retiredAt?.toISOString() ?? null,
      })),
    ),
    ...(entries ? { entries: [...entries] } : {}),
  };
}

/**
 * Sequences what the tenant's log holds unsequenced, when anything is. The status lists are read
 * first and are current; a change they show whose entry the sequencer has not reached yet (it
 * runs milliseconds after each commit) would otherwise leave the bundle's log a step behind its
 * lists, and an offline verifier would rightly call the two inconsistent. Costs one read when
 * nothing is pending, which is nearly always.
 */
async function catchUpLog(db: Database, deps: TrustBundleDeps): Promise<void> {
  const pending = await withTenant(db, deps.tenantId, (tx) => pendingEntries(tx, deps.tenantId, 1));
  if (pending.length === 0) return;
  await sequenceTenant(deps.sequencer, deps.tenantId);
}

/**
 * The last bundle signed per tenant. Signatures are randomised (ES256) and every bundle says when
 * it was made, so two builds are never the same bytes; reusing the signed copy while nothing in
 * it has changed is what lets a strong ETag revalidate at all. A reused copy is at most
 * REUSE_MS old: its lists were current when it says it was made. "Nothing changed" is a digest of
 * the whole content, the log included: a new checkpoint (every issuance makes one, and none bumps
 * a status list's publication) changes the digest, so the next request signs a new bundle.
 */
const recent = new Map<string, { fingerprint: string; madeAt: number; signed: SignedTrustBundle }>();
const REUSE_MS = 300_000;
const RECENT_LIMIT = 256;

async function fingerprint(bundle: TrustBundle, kid: string): Promise<string> {
  // The log's entries stand for themselves by the checkpoint, which signs their root: hashing
  // megabytes of entries on every request would say nothing more.
  const { generated_at: _madeAt, log, ...rest } = bundle;
  const content = log ? { ...rest, log: { ...log, entries: log.entries?.length } } : rest;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify([kid, content])));
  return base64urlEncode(new Uint8Array(digest));
}

/**
 * Builds and signs the tenant's trust bundle as of `now`. The status lists come first, each its
 * latest signed copy: reading one may re-sign it, which opens its own transaction, so none can be
 * open around it. The keys are read after, so the history holds every key that signed a list.
 */
export async function buildTrustBundle(db: Database, deps: TrustBundleDeps): Promise<SignedTrustBundle> {
  const { tenantId, origin, kek, now } = deps;
  const listIds = await inExistingTenant(db, tenantId, (tx) => listIdsOf(tx, tenantId));
  const publications: Publication[] = [];
  for (const id of listIds) publications.push(await currentPublication({ db }, tenantId, id));
  await catchUpLog(db, deps);

  const { bundle, signer } = await withTenant(db, tenantId, async (tx) => {
    const keys = await listKeys(tx, tenantId);
    const name = (await tenantById(tx, tenantId))?.name;
    const identity = issuerIdentity(origin, tenantId);
    const published = publishedKeys(keys, now);
    const bundle: TrustBundle = {
      type: TRUST_BUNDLE_TYPE,
      version: TRUST_BUNDLE_VERSION,
      generated_at: now.toISOString(),
      issuer: { tenant: tenantId, ...(name ? { name } : {}), did: identity.did, issuer_url: identity.issuerUrl },
      did_document: didDocument(identity, published, await logKeys(tx, tenantId)),
      jwt_vc_issuer: jwtVcIssuerMetadata(identity, published),
      keys: keys.map(historyEntry),
      status_lists: publications.map((p) => {
        const urls = statusListUrls(origin, tenantId, p.listId);
        return {
          id: p.listId,
          token_url: urls.token,
          token: p.token,
          revocation_url: urls.revocation,
          revocation: p.revocation,
          suspension_url: urls.suspension,
          suspension: p.suspension,
        };
      }),
      profiles: await profilesUsed(tx, tenantId),
    };
    const log = await bundleLog(tx, tenantId);
    if (log) bundle.log = log;
    return { bundle, signer: await activeSigner(tx, kek, origin, tenantId, now) };
  });

  const key = `${origin.origin} ${tenantId}`;
  const print = await fingerprint(bundle, signer.didUrl);
  const last = recent.get(key);
  if (last && last.fingerprint === print && now.getTime() >= last.madeAt && now.getTime() - last.madeAt < REUSE_MS) return last.signed;

  const jws = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(bundle)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: TRUST_BUNDLE_TYP })
    .sign(signer.key);
  const signed = { protected: jws.protected!, payload: jws.payload, signature: jws.signature };
  recent.delete(key);
  if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!);
  recent.set(key, { fingerprint: print, madeAt: now.getTime(), signed });
  return signed;
}
