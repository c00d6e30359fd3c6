import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { Database } from '../store/port.ts';
import { noteExportRequest } from '../store/publication-changes.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { exportLinkSigned, LINK_LIFETIME_SECONDS, newLinkKey, signExportLink, type ExportLink } from '../transparency/export-link.ts';
import {
  auditExportPackage,
  findAuditExport,
  insertAuditExport,
  type AuditExportFormat,
  type AuditExportRow,
} from '../transparency/store.ts';
import { isUuid } from '../util/uuid.ts';

/*
 * Audit exports as the API offers them (docs/transparency-log.md, Audit export): an auditor asks
 * for the log entries of a range, the builder makes the package off the request path, and the
 * package is fetched through a signed link that expires. Asking and every download are audit
 * events; the link's holder has no API key, so a download is recorded against the export and
 * the principal the link was issued to.
 */

export interface AuditExportDeps {
  readonly db: Database;
  readonly now: () => Date;
}

/** How long a package is kept, and its links honoured, after it was asked for. */
export const EXPORT_RETENTION_DAYS = 7;

export type AuditExportStatus = 'pending' | 'ready' | 'failed' | 'expired';

export interface AuditExportView {
  readonly export: AuditExportRow;
  readonly status: AuditExportStatus;
  /** A fresh download link, while the export has not expired. */
  readonly link: ExportLink | undefined;
}

function statusOf(e: AuditExportRow, now: Date): AuditExportStatus {
  if (e.expiresAt <= now) return 'expired';
  if (e.failure !== null) return 'failed';
  return e.builtAt === null ? 'pending' : 'ready';
}

async function view(e: AuditExportRow, now: Date): Promise<AuditExportView> {
  const status = statusOf(e, now);
  if (status === 'expired' || status === 'failed' || !e.linkKey) return { export: e, status, link: undefined };
  const expires = new Date(Math.min(now.getTime() + LINK_LIFETIME_SECONDS * 1000, e.expiresAt.getTime()));
  return { export: e, status, link: await signExportLink(e.linkKey, e.tenantId, e.id, expires) };
}

/** Records the request (built soon after it commits) and answers its first link. */
export async function requestAuditExport(
  deps: AuditExportDeps,
  actor: Actor,
  tenantId: string,
  input: { from: Date; to: Date; format: AuditExportFormat },
): Promise<AuditExportView> {
  const now = deps.now();
  const row = await withTenant(deps.db, tenantId, async (tx) => {
    const created = await insertAuditExport(tx, {
      tenantId,
      id: crypto.randomUUID(),
      from: input.from,
      to: input.to,
      format: input.format,
      requestedBy: actor,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + EXPORT_RETENTION_DAYS * 86_400_000),
      linkKey: newLinkKey(),
    });
    await recordEvent(tx, {
      tenantId,
      at: now,
      actor,
      action: 'audit_export.requested',
      target: created.id,
      detail: { from: input.from.toISOString(), to: input.to.toISOString(), format: input.format },
    });
    noteExportRequest(tx, tenantId);
    return created;
  });
  return view(row, now);
}

/** The export's status and a fresh link. */
export async function auditExportStatus(deps: AuditExportDeps, tenantId: string, id: string): Promise<AuditExportView> {
  const row = isUuid(id) ? await withTenant(deps.db, tenantId, (tx) => findAuditExport(tx, tenantId, id)) : undefined;
  if (!row) throw new AppError('audit_export_not_found', `no audit export ${id} of tenant ${tenantId}`);
  return view(row, deps.now());
}

export interface ExportDownload {
  readonly id: string;
  readonly format: AuditExportFormat;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/**
 * The package, for the holder of a link signed for this export of this tenant and not yet
 * expired. An unknown tenant or export answers as a bad signature does, so a link's holder
 * learns nothing about exports it holds no link to.
 */
export async function downloadAuditExport(
  deps: AuditExportDeps,
  tenantId: string,
  id: string,
  link: { expires: string; sig: string },
): Promise<ExportDownload> {
  const invalid = (why: string) => new AppError('audit_export_link_invalid', `audit export link refused: ${why}`);
  if (!isUuid(id)) throw invalid('not an export id');
  const now = deps.now();
  return withTenant(deps.db, tenantId, async (tx) => {
    const e = await findAuditExport(tx, tenantId, id);
    if (!e?.linkKey || !(await exportLinkSigned(e.linkKey, tenantId, id, link.expires, link.sig)))
      throw invalid(`not signed for export ${id} of tenant ${tenantId}`);
    if (Number(link.expires) * 1000 <= now.getTime()) throw new AppError('audit_export_gone', `the link to export ${id} has expired`);
    if (e.expiresAt <= now || (e.builtAt !== null && !e.hasPackage))
      throw new AppError('audit_export_gone', `export ${id} expired at ${e.expiresAt.toISOString()}`);
    if (e.failure !== null) throw new AppError('audit_export_gone', `export ${id} could not be built: ${e.failure}`);
    const bytes = e.builtAt === null ? undefined : await auditExportPackage(tx, tenantId, id);
    if (!bytes || e.mediaType === null) throw new AppError('audit_export_not_ready', `export ${id} is not built yet`);
    await recordEvent(tx, {
      tenantId,
      at: now,
      // The link's holder has no credential of its own: the download is the act of the principal it was issued to.
      actor: e.requestedBy,
      action: 'audit_export.downloaded',
      target: id,
      detail: { via: 'signed_link', link_expires_at: new Date(Number(link.expires) * 1000).toISOString(), bytes: bytes.length },
    });
    return { id, format: e.format, mediaType: e.mediaType, bytes };
  });
}
