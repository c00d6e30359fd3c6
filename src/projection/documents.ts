import { VC_JWT_MEDIA_TYPE } from '../credentials/formats/vc-jwt.ts';
import { didDocument, jwkSet, jwtVcIssuerMetadata, type LogKeyJwk } from '../did/documents.ts';
import { issuerIdentity } from '../did/issuer-identity.ts';
import { AppError } from '../errors/index.ts';
import { listKeys, logKeys } from '../keys/key-store.ts';
import { publishedKeys, type KeyRecord } from '../keys/lifecycle.ts';
import { STATUS_LIST_TOKEN_MEDIA_TYPE } from '../status/documents.ts';
import { storedPublication } from '../status/store.ts';
import { requireList } from '../status/lists.ts';
import type { Database, Queryable } from '../store/port.ts';
import { sha256Url } from '../util/sha256.ts';
import type { Projection, Projected } from './projection.ts';

/** A public document as served: the exact bytes, their strong ETag, and its media type. */
export interface PublicDocument {
  readonly body: string;
  readonly etag: string;
  readonly contentType: string;
}

/** A strong validator: the SHA-256 of the exact bytes served, so equal ETags mean equal bodies. */
export async function documentOf(body: string, contentType = 'application/json'): Promise<PublicDocument> {
  return { body, etag: `"${await sha256Url(body)}"`, contentType };
}

/**
 * The next instant at which a key's state changes by the clock alone (a waiting key activating, a
 * retirement window ending): documents listing published keys are rebuilt then.
 */
export function nextKeyInstant(keys: readonly KeyRecord[], now: Date): number | undefined {
  let next = Infinity;
  for (const k of keys) {
    for (const at of [k.activatedAt, k.retiredAt, k.publishUntil, k.revokedAt]) {
      if (at && at.getTime() > now.getTime()) next = Math.min(next, at.getTime());
    }
  }
  return next === Infinity ? undefined : next;
}

export type KeyDocumentName = 'did' | 'jwks' | 'jwt-vc-issuer';
// Each kind of document its own prefix, so no name a tenant document is given can land on a key document.
const keyDocumentKey = (name: KeyDocumentName) => `keys:${name}`;

const KEY_DOCUMENTS: Record<
  KeyDocumentName,
  (origin: URL, tenantId: string, keys: readonly KeyRecord[], logKeys: readonly LogKeyJwk[]) => unknown
> = {
  did: (origin, tenantId, keys, logKeys) => didDocument(issuerIdentity(origin, tenantId), keys, logKeys),
  jwks: (_origin, _tenantId, keys) => jwkSet(keys),
  'jwt-vc-issuer': (origin, tenantId, keys) => jwtVcIssuerMetadata(issuerIdentity(origin, tenantId), keys),
};

/** The DID document, JWK Set or SD-JWT VC issuer metadata of a tenant (or the platform), as served. */
export function keyDocument(
  projection: Projection,
  db: Database,
  deps: { origin: URL; clock: () => Date },
  tenantId: string,
  name: KeyDocumentName,
): Promise<PublicDocument> {
  return projection.read(db, tenantId, keyDocumentKey(name), async (tx): Promise<Projected<PublicDocument>> => {
    const now = deps.clock();
    const keys = await listKeys(tx, tenantId);
    // Only the DID document names the log's keys (a log key inserted bumps the tenant's publication version).
    const log = name === 'did' ? await logKeys(tx, tenantId) : [];
    const doc = await documentOf(JSON.stringify(KEY_DOCUMENTS[name](deps.origin, tenantId, publishedKeys(keys, now), log)));
    const until = nextKeyInstant(keys, now);
    return { value: doc, weight: doc.body.length, ...(until === undefined ? {} : { until }) };
  });
}

/** What keyDocument holds in memory now, if anything (Projection.peek). */
export function heldKeyDocument(projection: Projection, tenantId: string, name: KeyDocumentName): PublicDocument | undefined {
  return projection.peek(tenantId, keyDocumentKey(name));
}

/** A list's latest signed copy in its three forms, each ready to serve, and when it expires. */
export interface ListDocuments {
  readonly token: PublicDocument;
  readonly revocation: PublicDocument;
  readonly suspension: PublicDocument;
  readonly expiresAt: Date;
}

const listKey = (listId: string) => `list:${listId}`;

/** What listDocuments holds in memory now, if anything (Projection.peek). */
export function heldListDocuments(projection: Projection, tenantId: string, listId: string): ListDocuments | undefined {
  return projection.peek(tenantId, listKey(listId));
}

/**
 * The stored copy of one list. Reading never signs: copies are made by the change that needs
 * one and by the sweep, so a list without one yet is refused here as temporarily unavailable.
 */
export function listDocuments(projection: Projection, db: Database, tenantId: string, listId: string): Promise<ListDocuments> {
  return projection.read(db, tenantId, listKey(listId), async (tx): Promise<Projected<ListDocuments>> => {
    await requireList(tx, tenantId, listId);
    const p = await storedPublication(tx, tenantId, listId);
    if (!p) throw new AppError('status_list_unpublished', `status list ${listId} has no signed copy yet`);
    const value: ListDocuments = {
      token: await documentOf(p.token, STATUS_LIST_TOKEN_MEDIA_TYPE),
      revocation: await documentOf(p.revocation, VC_JWT_MEDIA_TYPE),
      suspension: await documentOf(p.suspension, VC_JWT_MEDIA_TYPE),
      expiresAt: p.expiresAt,
    };
    return { value, weight: p.token.length + p.revocation.length + p.suspension.length, until: p.expiresAt.getTime() };
  });
}

const tenantDocumentKey = (key: string) => `doc:${key}`;

/** What tenantDocument holds in memory now for `key`, if anything (Projection.peek). */
export function heldTenantDocument(projection: Projection, tenantId: string, key: string): PublicDocument | undefined {
  return projection.peek(tenantId, tenantDocumentKey(key));
}

/** Any other per-tenant public document (OID4VCI and OAuth metadata, profiles): `make` builds its JSON from the tenant's rows. */
export function tenantDocument(
  projection: Projection,
  db: Database,
  tenantId: string,
  key: string,
  make: (tx: Queryable) => Promise<unknown>,
): Promise<PublicDocument> {
  return projection.read(db, tenantId, tenantDocumentKey(key), async (tx): Promise<Projected<PublicDocument>> => {
    const doc = await documentOf(JSON.stringify(await make(tx)));
    return { value: doc, weight: doc.body.length };
  });
}

/**
 * A document that is the same for the life of the process (type metadata, JSON-LD context,
 * schemas, the built-in profiles): serialised and hashed once.
 */
export function constantDocuments(): (
  key: string,
  make: () => Promise<unknown> | unknown,
  contentType?: string,
) => Promise<PublicDocument> {
  const made = new Map<string, Promise<PublicDocument>>();
  return (key, make, contentType = 'application/json') => {
    let doc = made.get(key);
    if (!doc) {
      doc = Promise.resolve(make()).then((value) => documentOf(typeof value === 'string' ? value : JSON.stringify(value), contentType));
      made.set(key, doc);
      // A failure is not remembered: the next request tries again.
      doc.catch(() => made.delete(key));
    }
    return doc;
  };
}
