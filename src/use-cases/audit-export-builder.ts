import { logKeys } from '../keys/key-store.ts';
import { logVerifierKey } from '../keys/log-key.ts';
import type { Database, Queryable } from '../store/port.ts';
import { onCommittedExportRequest } from '../store/publication-changes.ts';
import { startTenantWork, type TenantWork } from '../store/tenant-work.ts';
import { acrossTenants, withTenant } from '../store/tenant-scope.ts';
import type { AuditPackage } from '../transparency/audit-package.ts';
import { AUDIT_PACKAGE_MEDIA_TYPES, packageBytes } from '../transparency/audit-package-files.ts';
import { leafHash } from '../transparency/merkle.ts';
import { inclusionProofAt, logView } from '../transparency/reader.ts';
import { sequenceTenant, type SequencerDeps } from '../transparency/sequencer.ts';
import {
  dropExpiredPackages,
  entriesBetween,
  lockUnbuiltExports,
  markExportBuilt,
  markExportFailed,
  tenantsWithUnbuiltExports,
  type AuditExportRow,
} from '../transparency/store.ts';
import { hexOf } from '../util/bytes.ts';

// Here rather than in transparency/: a package names the log's keys, which the keys domain keeps,
// and keys sits above transparency (it logs its own events).

/*
 * The audit-export builder: takes a tenant's exports still to build, one transaction each (the
 * row locked, skipped by a builder elsewhere that holds it), and stores each package. The
 * tenant's log is sequenced first, so every entry committed before the build began is under the
 * checkpoint the package proves against: an entry of the range is missing from a package only
 * if its change committed after the package was built.
 */

export interface ExportBuilderDeps {
  readonly db: Database;
  readonly sequencer: SequencerDeps;
  readonly now: () => Date;
}

/**
 * At most this many entries per package: each inclusion proof reads a few tiles, and one
 * transaction holds the export's row while it builds. A longer range is refused with the
 * reason recorded (ask for a shorter one), not built by halves.
 */
export const MAX_EXPORT_ENTRIES = 20_000;

/** Why an export cannot be built, recorded on it; any other error leaves it to be tried again. */
class Unbuildable extends Error {}

const utf8 = new TextEncoder();

async function buildPackage(tx: Queryable, e: AuditExportRow, builtAt: Date): Promise<AuditPackage> {
  const view = await logView(tx, e.tenantId);
  if (!view) throw new Unbuildable('the tenant log has no checkpoint yet');
  // An entry sequenced after the view was read is not under its checkpoint: it waits for the next
  // export. One more than the most a package holds, to know a range is too long without reading it all.
  const range = { from: e.from, to: e.to, below: view.head.size };
  const entries = await entriesBetween(tx, e.tenantId, range, MAX_EXPORT_ENTRIES + 1);
  if (entries.length > MAX_EXPORT_ENTRIES)
    throw new Unbuildable(`the range holds more than ${MAX_EXPORT_ENTRIES} entries: ask for a shorter one`);
  const origin = view.head.origin;
  const keys = await Promise.all((await logKeys(tx, e.tenantId)).map((k) => logVerifierKey({ origin, publicJwk: k.publicJwk })));
  const proved = [];
  for (const x of entries) {
    const proof = await inclusionProofAt(tx, e.tenantId, view, x.index);
    proved.push({
      index: x.index,
      entry: x.body,
      leafHash: hexOf(await leafHash(utf8.encode(x.body))),
      inclusionProof: proof.map(hexOf),
    });
  }
  return {
    tenant: e.tenantId,
    exportId: e.id,
    from: e.from.toISOString(),
    to: e.to.toISOString(),
    builtAt: builtAt.toISOString(),
    origin,
    checkpoint: view.note,
    logKeys: keys,
    entries: proved,
  };
}

/** Builds one export of the tenant still to build; false when there is none left. */
async function buildOne(deps: ExportBuilderDeps, tenantId: string): Promise<boolean> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const [e] = await lockUnbuiltExports(tx, tenantId, 1);
    if (!e) return false;
    const now = deps.now();
    try {
      const p = await buildPackage(tx, e, now);
      await markExportBuilt(tx, tenantId, e.id, {
        at: now,
        mediaType: AUDIT_PACKAGE_MEDIA_TYPES[e.format],
        package: packageBytes(p, e.format, now),
      });
    } catch (err) {
      if (!(err instanceof Unbuildable)) throw err;
      await markExportFailed(tx, tenantId, e.id, err.message);
    }
    return true;
  });
}

/** Builds every export of the tenant asked for before it looked; how many. */
export async function buildTenantExports(deps: ExportBuilderDeps, tenantId: string): Promise<number> {
  await sequenceTenant(deps.sequencer, tenantId);
  let built = 0;
  while (await buildOne(deps, tenantId)) built++;
  return built;
}

/** Drops the packages of expired exports, across tenants (the scheduled sweep). */
export function dropExpiredExports(deps: Pick<ExportBuilderDeps, 'db' | 'now'>): Promise<number> {
  return acrossTenants(deps.db, (tx) => dropExpiredPackages(tx, deps.now()));
}

/**
 * The builder as a server runs it: after each commit of this process that asked for an export,
 * and by a poll for exports other instances (or Workers) were asked for.
 */
export function startExportBuilding(
  deps: ExportBuilderDeps,
  options: { pollMs: number | false; onError: (tenantId: string, e: unknown) => void },
): TenantWork {
  return startTenantWork(deps.db, (tenantId) => buildTenantExports(deps, tenantId), {
    ...options,
    waiting: tenantsWithUnbuiltExports,
    subscribe: onCommittedExportRequest,
  });
}

/** Builds every export waiting, tenant by tenant (the Workers' scheduled run); the tenants that failed. */
export async function buildWaitingExports(deps: ExportBuilderDeps, onError: (tenantId: string, e: unknown) => void): Promise<number> {
  let failed = 0;
  for (const tenantId of await acrossTenants(deps.db, tenantsWithUnbuiltExports)) {
    await buildTenantExports(deps, tenantId).catch((e: unknown) => {
      failed++;
      onError(tenantId, e);
    });
  }
  return failed;
}
