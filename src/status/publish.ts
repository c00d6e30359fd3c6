import { AppError } from '../errors/index.ts';
import { activeSigner } from '../credentials/signer.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { inExistingTenant } from '../tenants/tenants.ts';
import { signStatusDocuments, STATUS_LIST_REFRESH_SECONDS } from './documents.ts';
import { requireList } from './lists.ts';
import { statusListUrls } from './urls.ts';
import { notePublicationChange } from '../store/publication-changes.ts';
import { selectListsToSign, selectNonValidEntries, storedPublication, upsertPublication, type Publication } from './store.ts';

export interface PublishDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly origin: URL;
  readonly now: Date;
}

/**
 * Signs the list as it stands and stores it, unless a copy covering a later version is already
 * stored (a slower publisher never overwrites a faster one's newer copy).
 */
async function publishIn(tx: Queryable, deps: Omit<PublishDeps, 'db'>, tenantId: string, listId: string): Promise<Publication> {
  // The version is read before the entries: under READ COMMITTED the entries are then at least
  // as new as the version recorded, so a change this copy claims to cover is always in it.
  const list = await requireList(tx, tenantId, listId);
  const entries = await selectNonValidEntries(tx, tenantId, listId);
  const signer = await activeSigner(tx, deps.kek, deps.origin, tenantId, deps.now);
  const docs = await signStatusDocuments({
    size: list.size,
    entries,
    urls: statusListUrls(deps.origin, tenantId, listId),
    signer,
    origin: deps.origin,
    now: deps.now,
  });
  notePublicationChange(tx, tenantId);
  const stored = await upsertPublication(tx, tenantId, {
    listId,
    version: list.version,
    kid: signer.kid,
    issuedAt: docs.issuedAt,
    expiresAt: docs.expiresAt,
    token: docs.token,
    revocation: docs.revocation,
    suspension: docs.suspension,
  });
  return stored ?? (await storedPublication(tx, tenantId, listId))!;
}

/** One list's publisher within this instance, and whether a change arrived while it ran. */
interface Run {
  again: boolean;
  readonly startedAt: number;
  done?: Promise<Publication>;
}
const running = new Map<string, Run>();
/**
 * A run older than this is not joined. On Workers a run belongs to the invocation that started it,
 * and an invocation cut off mid-run leaves a promise that never settles: later callers must not wait on it.
 */
const JOIN_WINDOW_MS = 30_000;

async function publishUntilCaughtUp(deps: PublishDeps, tenantId: string, listId: string, run: Run): Promise<Publication> {
  let published: Publication;
  do {
    run.again = false;
    published = await withTenant(deps.db, tenantId, (tx) => publishIn(tx, deps, tenantId, listId));
  } while (run.again);
  return published;
}

/**
 * Re-signs one list after a change, from the sweep, or for a stale read. Calls for the same
 * list coalesce: while a signing runs, any number of further calls cause exactly one more,
 * which starts after them and so reads every change committed before they were made. The
 * promise resolves with a copy covering all of those changes.
 */
export function publishList(deps: PublishDeps, tenantId: string, listId: string): Promise<Publication> {
  const key = `${tenantId}/${listId}`;
  const existing = running.get(key);
  if (existing?.done && Date.now() - existing.startedAt < JOIN_WINDOW_MS) {
    existing.again = true;
    return existing.done;
  }
  const run: Run = { again: false, startedAt: Date.now() };
  running.set(key, run);
  run.done = publishUntilCaughtUp(deps, tenantId, listId, run).finally(() => {
    if (running.get(key) === run) running.delete(key);
  });
  return run.done;
}

/**
 * The latest signed copy of a list, as stored: what the trust bundle carries. Reading never
 * signs (no key is opened on a public path); the change that needs a new copy makes it before it
 * answers, the issuance that opens a list makes its first, and the sweep renews them.
 */
export async function currentPublication(deps: { db: Database }, tenantId: string, listId: string): Promise<Publication> {
  const stored = await inExistingTenant(deps.db, tenantId, async (tx) => {
    await requireList(tx, tenantId, listId);
    return storedPublication(tx, tenantId, listId);
  });
  if (!stored) throw new AppError('status_list_unpublished', `status list ${listId} has no signed copy yet`);
  return stored;
}

/**
 * Signs the first copy of the list a new slot is in, if it has none: a credential is never handed
 * out before the list it points at can be read. Runs in the issuing transaction, so the copy
 * commits with the list and the credential or not at all. Whether the list has a copy comes
 * with the slot's claim, from the database: nothing is remembered across transactions, since a
 * copy remembered by a transaction that then rolled back would let the next credential point at
 * a list that cannot be read until the sweep signs it.
 */
export async function ensureFirstCopy(
  tx: Queryable,
  deps: Omit<PublishDeps, 'db'>,
  tenantId: string,
  slot: { readonly listId: string; readonly published: boolean },
): Promise<void> {
  if (!slot.published) await publishIn(tx, deps, tenantId, slot.listId);
}

/**
 * Every list whose stored copy is missing, behind its changes, signed by a key that no longer
 * signs, or near expiry, across tenants: what the sweep re-signs.
 */
export async function staleLists(tx: Queryable, now: Date): Promise<{ tenant_id: string; list_id: string }[]> {
  return selectListsToSign(tx, new Date(now.getTime() + STATUS_LIST_REFRESH_SECONDS * 1000));
}
