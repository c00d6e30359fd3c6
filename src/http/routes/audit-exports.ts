import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Principal } from '../../auth/principal.ts';
import { AUDIT_PACKAGE_MEDIA_TYPES } from '../../transparency/audit-package-files.ts';
import {
  auditExportStatus,
  downloadAuditExport,
  requestAuditExport,
  type AuditExportDeps,
  type AuditExportView,
} from '../../use-cases/audit-exports.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';

/*
 * Audit exports (docs/transparency-log.md, Audit export). Asking and reading the status are
 * operator routes for the auditor role. The download is not: its link is the credential (signed,
 * expiring, for one export of one tenant), so that an auditor can hand it to a tool or a browser
 * holding no API key. It lives outside /v1/t/{tenant}/, where every route takes a bearer
 * credential, under the tenant's public paths, rate-limited per address like them.
 */

/** The longest range one export may cover: a year and a day, so a calendar year always fits. */
const MAX_SPAN_DAYS = 366;

const FORMATS = ['json', 'csv', 'zip'] as const;

/** The instants a log can hold: PostgreSQL stores no year 0, and no entry predates 1970 or follows 9999. */
const EARLIEST = 0;
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const instant = z
  .string()
  .max(64)
  .datetime({ offset: true })
  .refine((t) => Date.parse(t) >= EARLIEST && Date.parse(t) <= LATEST, 'must be an instant from 1970 to 9999 (UTC)')
  .openapi({ description: 'An RFC 3339 date-time with its offset (Z or ±hh:mm)', example: '2026-01-01T00:00:00Z' });

const CreateAuditExport = z
  .object({
    from: instant,
    to: instant,
    format: z
      .enum(FORMATS)
      .openapi({ description: 'json (one document), csv (one file), or zip (both, with the checkpoint and a README)' }),
  })
  .strict()
  .superRefine((b, ctx) => {
    const span = Date.parse(b.to) - Date.parse(b.from);
    if (span < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    else if (span > MAX_SPAN_DAYS * 86_400_000)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_SPAN_DAYS} days after from` });
  })
  .openapi('CreateAuditExport');

const AuditExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pending', 'ready', 'failed', 'expired']),
    from: z.string(),
    to: z.string(),
    format: z.enum(FORMATS),
    requested_by: z.string(),
    requested_at: z.string(),
    built_at: z.string().nullable(),
    failure: z.string().nullable(),
    download_url: z.string().nullable().openapi({ description: 'Signed, for this export only; null once the export failed or expired' }),
    expires_at: z
      .string()
      .nullable()
      .openapi({ description: 'When download_url stops working (ask for the status again for a fresh one)' }),
    available_until: z.string().openapi({ description: 'When the package is deleted and no link opens it any more' }),
  })
  .openapi('AuditExport');

const ExportParams = TenantParam.extend({
  export: z
    .string()
    .max(64)
    .openapi({ param: { name: 'export', in: 'path' }, description: 'The export id from the request’s answer' }),
});

const LinkQuery = z.object({
  expires: z.string().max(20).optional().openapi({ description: 'From the download_url: when the link expires (Unix seconds)' }),
  sig: z.string().max(100).optional().openapi({ description: 'From the download_url: its signature' }),
});

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant or export') };

export function registerAuditExports(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const auditor = guard(oidc, { roles: ['auditor'], tenantParam: true });
  const ucDeps = (db: AuditExportDeps['db']): AuditExportDeps => ({ db, now: deps.clock });

  const wire = (v: AuditExportView): z.infer<typeof AuditExportSchema> => {
    const e = v.export;
    const url = v.link && new URL(`t/${encodeURIComponent(e.tenantId)}/audit-exports/${e.id}/package`, deps.config.publicUrl);
    url?.searchParams.set('expires', String(v.link!.expires));
    url?.searchParams.set('sig', v.link!.sig);
    return {
      id: e.id,
      status: v.status,
      from: e.from.toISOString(),
      to: e.to.toISOString(),
      format: e.format,
      requested_by: e.requestedBy,
      requested_at: e.requestedAt.toISOString(),
      built_at: e.builtAt?.toISOString() ?? null,
      failure: e.failure,
      download_url: url?.href ?? null,
      expires_at: v.link ? new Date(v.link.expires * 1000).toISOString() : null,
      available_until: e.expiresAt.toISOString(),
    };
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/audit-exports',
      tags: ['transparency'],
      summary: 'Ask for an audit export: the log entries of a range with their inclusion proofs and checkpoint, built off the request path',
      security: bearerSecurity,
      middleware: [auditor] as const,
      request: {
        params: TenantParam,
        body: { required: true, content: { 'application/json': { schema: CreateAuditExport } } },
      },
      responses: {
        202: {
          description: 'Asked for; download_url answers 409 until it is built',
          content: { 'application/json': { schema: AuditExportSchema } },
        },
        400: problem('Invalid request'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const body = c.req.valid('json');
      const principal: Principal = c.get('principal')!;
      const v = await requestAuditExport(ucDeps(c.env.db), principal.id, tenant, {
        from: new Date(body.from),
        to: new Date(body.to),
        format: body.format,
      });
      return c.json(wire(v), 202, { 'cache-control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/audit-exports/{export}',
      tags: ['transparency'],
      summary: 'An audit export’s status, with a fresh download link',
      security: bearerSecurity,
      middleware: [auditor] as const,
      request: { params: ExportParams },
      responses: {
        200: { description: 'The export', content: { 'application/json': { schema: AuditExportSchema } } },
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, export: id } = c.req.valid('param');
      return c.json(wire(await auditExportStatus(ucDeps(c.env.db), tenant, id)), 200, { 'cache-control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/audit-exports/{export}/package',
      tags: ['transparency'],
      summary: 'Download an audit export’s package through its signed link (no API key: the link is the credential)',
      request: { params: ExportParams, query: LinkQuery },
      responses: {
        200: {
          description: 'The package, in the format asked for',
          content: Object.fromEntries(Object.values(AUDIT_PACKAGE_MEDIA_TYPES).map((t) => [t, { schema: z.string() }])),
        },
        403: problem('The link is not signed for this export (audit_export_link_invalid)'),
        409: problem('Not built yet (audit_export_not_ready, with Retry-After)'),
        410: problem('The link or the export has expired, or the export could not be built (audit_export_gone)'),
      },
    }),
    async (c) => {
      const { tenant, export: id } = c.req.valid('param');
      const q = c.req.valid('query');
      const got = await downloadAuditExport(ucDeps(c.env.db), tenant, id, { expires: q.expires ?? '', sig: q.sig ?? '' });
      return c.body(new Uint8Array(got.bytes), 200, {
        'content-type': got.mediaType,
        'content-disposition': `attachment; filename="audit-export-${got.id}.${got.format}"`,
        'cache-control': 'private, no-store',
      });
    },
  );
}
