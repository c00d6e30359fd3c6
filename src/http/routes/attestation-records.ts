import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attestationDetail, attestationPage, type AttestationDetail } from '../../attestations/detail.ts';
import { mediaTypeOf } from '../../credentials/media-types.ts';
import type { AttestationRecord } from '../../attestations/store.ts';
import { CREDENTIAL_FORMATS } from '../../credentials/records.ts';
import { setAttestationStatus } from '../../status/changes.ts';
import { statusListUrls } from '../../status/urls.ts';
import { CREDENTIAL_STATUSES, type CredentialStatus } from '../../status/values.ts';
import { publishBeforeResponse } from '../publish-before-response.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, IssuancePageQuery, problem, TenantParam } from '../schemas.ts';
import { historyWire, StatusChangeBody, StatusHistorySchema } from './status.ts';

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant or attestation') };

export const AttestationParams = TenantParam.extend({
  attestation: z
    .string()
    .max(64)
    .openapi({ param: { name: 'attestation', in: 'path' }, description: 'The attestation id from the issuance response' }),
});

const Lineage = {
  supersedes: z.string().nullable(),
  superseded_by: z.object({ id: z.string(), issued_at: z.string() }).nullable(),
};
const StatusList = z.object({ id: z.string(), index: z.number().int(), token: z.string(), revocation: z.string(), suspension: z.string() });

const AttestationSummary = z
  .object({
    id: z.string(),
    assessment_id: z.string(),
    subject: z.object({ name: z.string(), id: z.string().nullable() }),
    profile: z.object({ id: z.string(), version: z.string() }),
    kid: z.string(),
    issued_at: z.string(),
    valid_from: z.string(),
    valid_until: z.string(),
    issued_by: z.string(),
    status: z.enum(CREDENTIAL_STATUSES).nullable().openapi({ description: 'Null only for an attestation issued before status lists' }),
    ...Lineage,
    log_index: z.number().int().nullable().openapi({
      description:
        'The issuance entry’s index in the tenant’s transparency log (GET …/proof proves it); null in the moment before the sequencer reaches it, which runs right after issuance',
    }),
  })
  .openapi('AttestationSummary');

const AttestationView = AttestationSummary.extend({
  status_lists: z
    .array(StatusList)
    .openapi({ description: 'One entry; several only for an attestation issued before its formats shared a slot' }),
  formats: z.array(
    z.object({ credential_id: z.string(), format: z.enum(CREDENTIAL_FORMATS), media_type: z.string(), credential: z.string() }),
  ),
  history: StatusHistorySchema,
  active_shares: z.number().int(),
  relying_parties: z
    .object({
      subscribed: z.number().int().openapi({ description: 'Buyers’ endpoints subscribed to its notices through its share links' }),
      named: z.array(z.string()).openapi({ description: 'The names those buyers chose to give; who the others are is not recorded' }),
    })
    .openapi({ description: 'Who relies on it, as far as they let the tenant know' }),
}).openapi('Attestation');

export function registerAttestationRecords(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const origin = deps.config.publicUrl;
  const reader = guard(oidc, { roles: ['issuer', 'status', 'auditor'], tenantParam: true });

  const summary = (
    r: AttestationRecord,
    status: CredentialStatus | null,
    next: { id: string; issuedAt: Date } | null,
    logIndex: number | null,
  ) => ({
    id: r.id,
    assessment_id: r.assessmentId,
    subject: { name: r.subjectName, id: r.subjectId },
    profile: { id: r.profileId, version: r.profileVersion },
    kid: r.kid,
    issued_at: r.issuedAt.toISOString(),
    valid_from: r.validFrom.toISOString(),
    valid_until: r.validUntil.toISOString(),
    issued_by: r.issuedBy,
    status,
    supersedes: r.supersedes,
    superseded_by: next ? { id: next.id, issued_at: next.issuedAt.toISOString() } : null,
    log_index: logIndex,
  });
  const view = (d: AttestationDetail): z.infer<typeof AttestationView> => ({
    ...summary(d.record, d.status?.status ?? null, d.supersededBy, d.logIndex),
    status_lists: (d.status?.slots ?? []).map((s) => ({
      id: s.listId,
      index: s.index,
      ...statusListUrls(origin, d.record.tenantId, s.listId),
    })),
    formats: d.formats.map((f) => ({
      credential_id: `urn:uuid:${f.credentialId}`,
      format: f.format,
      media_type: mediaTypeOf(f.format),
      credential: f.credential,
    })),
    history: historyWire(d.status?.history ?? []),
    active_shares: d.activeShares,
    relying_parties: { subscribed: d.relyingParties.subscribed, named: [...d.relyingParties.named] },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/attestations',
      tags: ['attestations'],
      summary: 'The tenant’s attestations, newest first, with status and lineage',
      security: bearerSecurity,
      middleware: [reader] as const,
      request: {
        params: TenantParam,
        query: IssuancePageQuery,
      },
      responses: {
        200: {
          description: 'A page of attestations',
          content: {
            'application/json': { schema: z.object({ attestations: z.array(AttestationSummary), next_cursor: z.string().nullable() }) },
          },
        },
        400: problem('Invalid query'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const q = c.req.valid('query');
      const page = await attestationPage(c.env.db, tenant, {
        limit: q.limit,
        ...(q.subject ? { subject: q.subject } : {}),
        ...(q.profile ? { profile: q.profile } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return c.json({ attestations: page.items.map((i) => summary(i, i.status, i.supersededBy, i.logIndex)), next_cursor: page.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/attestations/{attestation}',
      tags: ['attestations'],
      summary: 'One attestation: its formats, status and every change to it, lineage, and how many share links are open',
      security: bearerSecurity,
      middleware: [reader] as const,
      request: { params: AttestationParams },
      responses: { 200: { description: 'The attestation', content: { 'application/json': { schema: AttestationView } } }, ...denied },
    }),
    async (c) => {
      const { tenant, attestation } = c.req.valid('param');
      return c.json(view(await attestationDetail(c.env.db, tenant, attestation, deps.clock())), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/t/{tenant}/attestations/{attestation}/status',
      tags: ['status'],
      summary: 'Revoke (final), suspend, or reinstate an attestation: every format of it changes together',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['status'], tenantParam: true })] as const,
      request: { params: AttestationParams, body: { required: true, content: { 'application/json': { schema: StatusChangeBody } } } },
      responses: {
        200: {
          description: 'The status now; `changed` is false when it already was',
          content: {
            'application/json': {
              schema: z.object({
                attestation_id: z.string(),
                status: z.enum(CREDENTIAL_STATUSES),
                changed: z.boolean(),
                credentials: z.array(z.string()),
                history: StatusHistorySchema,
              }),
            },
          },
        },
        400: problem('Invalid request'),
        409: problem('Revoked (final), or issued without a status list entry'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, attestation } = c.req.valid('param');
      const body = c.req.valid('json');
      const ctx = { now: deps.clock(), actor: c.get('principal')!.id, metrics: deps.metrics };
      const { outcome, status: v } = await setAttestationStatus(c.env.db, ctx, tenant, attestation, {
        to: body.status,
        reason: body.reason,
        ...(body.public_reason ? { publicReason: body.public_reason } : {}),
      });
      await publishBeforeResponse(c, deps, tenant, outcome.lists);
      c.header('cache-control', 'no-store');
      return c.json(
        {
          attestation_id: attestation,
          status: v.status,
          changed: outcome.attestations.length > 0,
          credentials: outcome.changed.map((id) => `urn:uuid:${id}`),
          history: historyWire(v.history),
        },
        200,
      );
    },
  );
}
