import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { recordAssessment } from '../../attestations/assessments.ts';
import { issueAttestations } from '../../attestations/issue.ts';
import { issueRequestSchema } from '../../attestations/issue-request.ts';
import { assessmentSchema } from '../../readiness/assessment.ts';
import { mediaTypeOf } from '../../credentials/media-types.ts';
import { CREDENTIAL_FORMATS, findCredential, listCredentials, type CredentialRecord } from '../../credentials/records.ts';
import { AppError } from '../../errors/index.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { statusListUrls } from '../../status/urls.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { AssessmentStoredSchema, AttestationIssuedSchema } from '../issuance-schemas.ts';
import { attestationProofUrl } from '../../transparency/urls.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, IssuancePageQuery, problem, TenantParam } from '../schemas.ts';

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant') };

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const CredentialView = z
  .object({
    id: z.string(),
    format: z.enum(CREDENTIAL_FORMATS),
    kid: z.string(),
    assessment_id: z.string(),
    profile: z.object({ id: z.string(), version: z.string() }),
    subject: z.object({ name: z.string(), id: z.string().nullable() }),
    issued_at: z.string(),
    valid_from: z.string(),
    valid_until: z.string(),
    holder: z.record(z.string(), z.unknown()).nullable(),
    credential: z.string(),
    /** Where the credential's status is published; its current value is at `.../status`. Null only for credentials issued before status lists. */
    status_list: z.object({ id: z.string(), index: z.number().int(), token: z.string() }).nullable(),
  })
  .openapi('CredentialRecord');

const view = (r: CredentialRecord, origin: URL): z.infer<typeof CredentialView> => ({
  id: `urn:uuid:${r.id}`,
  format: r.format,
  kid: r.kid,
  assessment_id: r.assessmentId,
  profile: { id: r.profileId, version: r.profileVersion },
  subject: { name: r.subjectName, id: r.subjectId },
  issued_at: r.issuedAt.toISOString(),
  valid_from: r.validFrom.toISOString(),
  valid_until: r.validUntil.toISOString(),
  holder: r.holder,
  credential: r.credential,
  status_list:
    r.statusListId === null || r.statusIndex === null
      ? null
      : { id: r.statusListId, index: r.statusIndex, token: statusListUrls(origin, r.tenantId, r.statusListId).token },
});

export function registerAttestations(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const issuer = guard(oidc, { roles: ['issuer'], tenantParam: true, limit: 'issuance' });
  const reader = guard(oidc, { roles: ['issuer', 'auditor'], tenantParam: true });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/assessments',
      tags: ['attestations'],
      summary: 'Evaluate and store an assessment; the service computes the verdict (nothing is issued)',
      security: bearerSecurity,
      middleware: [issuer] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: assessmentSchema } } } },
      responses: {
        201: { description: 'Stored with its verdict', content: { 'application/json': { schema: AssessmentStoredSchema } } },
        400: problem('Invalid request'),
        422: problem('The assessment does not add up'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const now = deps.clock();
      const stored = await withTenant(c.env.db, tenant, (tx) =>
        recordAssessment(tx, { now, actor: c.get('principal')!.id }, tenant, c.req.valid('json')),
      );
      c.header('location', `/v1/t/${tenant}/assessments/${stored.id}`);
      return c.json(
        { id: stored.id, created_at: stored.createdAt.toISOString(), assessment: stored.assessment, verdict: stored.verdict },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/attestations',
      tags: ['attestations'],
      summary: 'Issue an attestation in the formats asked for (vc+jwt, jwt_vc_json, dc+sd-jwt)',
      security: bearerSecurity,
      middleware: [issuer] as const,
      request: {
        params: TenantParam,
        headers: z.object({ 'idempotency-key': z.string().regex(IDEMPOTENCY_KEY).optional() }),
        body: { required: true, content: { 'application/json': { schema: issueRequestSchema } } },
      },
      responses: {
        201: { description: 'Issued and recorded', content: { 'application/json': { schema: AttestationIssuedSchema } } },
        400: problem('Invalid request'),
        409: problem('Idempotency-Key reused with a different request'),
        422: problem('The assessment does not add up'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const key = c.req.valid('header')['idempotency-key'];
      const out = await issueAttestations(
        {
          db: c.env.db,
          kek: deps.kek,
          origin: deps.config.publicUrl,
          now: deps.clock(),
          actor: c.get('principal')!.id,
          metrics: deps.metrics,
        },
        tenant,
        c.req.valid('json'),
        key,
      );
      c.header('cache-control', 'no-store');
      if (out.replayed) c.header('idempotent-replayed', 'true');
      return c.json(
        {
          attestation_id: out.attestationId,
          assessment: out.assessment,
          kid: out.kid,
          valid_from: out.validFrom.toISOString(),
          valid_until: out.validUntil.toISOString(),
          supersedes: out.supersedes,
          credentials: out.credentials.map((cr) => ({
            id: cr.id,
            format: cr.format,
            media_type: mediaTypeOf(cr.format),
            credential: cr.credential,
          })),
          log: { status: 'pending' as const, proof: attestationProofUrl(deps.config.publicUrl, tenant, out.attestationId) },
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/credentials',
      tags: ['attestations'],
      summary: 'The issuer’s credential records, newest first',
      security: bearerSecurity,
      middleware: [reader] as const,
      request: {
        params: TenantParam,
        query: IssuancePageQuery.extend({
          format: z.enum(CREDENTIAL_FORMATS).optional(),
          issued_from: z.iso.datetime({ offset: true }).optional(),
          issued_before: z.iso.datetime({ offset: true }).optional(),
        }),
      },
      responses: {
        200: {
          description: 'A page of records',
          content: {
            'application/json': { schema: z.object({ credentials: z.array(CredentialView), next_cursor: z.string().nullable() }) },
          },
        },
        400: problem('Invalid query'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const q = c.req.valid('query');
      const page = await withTenant(c.env.db, tenant, (tx) =>
        listCredentials(tx, tenant, {
          limit: q.limit,
          ...(q.subject ? { subject: q.subject } : {}),
          ...(q.profile ? { profile: q.profile } : {}),
          ...(q.format ? { format: q.format } : {}),
          ...(q.issued_from ? { issuedFrom: new Date(q.issued_from) } : {}),
          ...(q.issued_before ? { issuedBefore: new Date(q.issued_before) } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        }),
      );
      return c.json({ credentials: page.items.map((r) => view(r, deps.config.publicUrl)), next_cursor: page.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/credentials/{credential}',
      tags: ['attestations'],
      summary: 'One credential record',
      security: bearerSecurity,
      middleware: [reader] as const,
      request: {
        params: TenantParam.extend({
          credential: z
            .string()
            .max(64)
            .openapi({ param: { name: 'credential', in: 'path' } }),
        }),
      },
      responses: { 200: { description: 'The record', content: { 'application/json': { schema: CredentialView } } }, ...denied },
    }),
    async (c) => {
      const { tenant, credential: id } = c.req.valid('param');
      const record = await withTenant(c.env.db, tenant, (tx) => findCredential(tx, tenant, id.replace(/^urn:uuid:/, '')));
      if (!record) throw new AppError('credential_not_found', `tenant ${tenant} has no credential ${id}`);
      return c.json(view(record, deps.config.publicUrl), 200);
    },
  );
}
