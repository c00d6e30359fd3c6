import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { VC_JWT_MEDIA_TYPE } from '../../credentials/formats/vc-jwt.ts';
import { revokeAll, setCredentialStatus, statusOf, type CredentialStatusView } from '../../status/changes.ts';
import { STATUS_LIST_TOKEN_MEDIA_TYPE, STATUS_LIST_TTL_SECONDS } from '../../status/documents.ts';
import { heldListDocuments, listDocuments, type ListDocuments } from '../../projection/documents.ts';
import { lookupTenantId } from '../../tenants/tenants.ts';
import { statusListUrls } from '../../status/urls.ts';
import { CREDENTIAL_STATUSES } from '../../status/values.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { publishBeforeResponse } from '../publish-before-response.ts';
import type { AppEnv, ServiceDeps } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { servePublic } from '../public-json.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant or credential') };

const ListParams = TenantParam.extend({
  list: z
    .string()
    .max(64)
    .openapi({ param: { name: 'list', in: 'path' }, example: 'lq3Vb8hKQ0mC2h0N5o7e6Q' }),
});
const CredentialParams = TenantParam.extend({
  credential: z
    .string()
    .max(64)
    .openapi({ param: { name: 'credential', in: 'path' } }),
});

const Reason = z.string().trim().min(1).max(500);
export const StatusChangeBody = z
  .object({
    status: z.enum(CREDENTIAL_STATUSES),
    /** Internal: for the tenant's own records and auditors. */
    reason: Reason,
    /** Shown to relying parties (the verification page, the notice, the badge page); omit to publish none. */
    public_reason: Reason.optional(),
  })
  .strict()
  .openapi('StatusChange');
const BulkRevocationBody = z
  .union([
    z.object({ subject: z.string().min(1).max(500), reason: Reason }).strict(),
    z.object({ kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/), reason: Reason }).strict(),
  ])
  .openapi('BulkRevocation');

export const StatusHistorySchema = z
  .array(
    z.object({
      from: z.enum(CREDENTIAL_STATUSES),
      to: z.enum(CREDENTIAL_STATUSES),
      reason: z.string(),
      public_reason: z.string().nullable(),
      changed_at: z.string(),
      changed_by: z.string(),
      credential: z.string().nullable().openapi({ description: 'Set on changes made to one credential before attestations were the unit' }),
    }),
  )
  .openapi('StatusHistory');

const CredentialStatusSchema = z
  .object({
    credential: z.string(),
    attestation_id: z.string(),
    status: z.enum(CREDENTIAL_STATUSES),
    changed: z.boolean().optional(),
    status_list: z.object({ id: z.string(), index: z.number().int(), token: z.string(), revocation: z.string(), suspension: z.string() }),
    history: StatusHistorySchema,
  })
  .openapi('CredentialStatus');

export const historyWire = (history: CredentialStatusView['history']): z.infer<typeof StatusHistorySchema> =>
  history.map((h) => ({
    from: h.from,
    to: h.to,
    reason: h.reason,
    public_reason: h.publicReason,
    changed_at: h.changedAt.toISOString(),
    changed_by: h.changedBy,
    credential: h.credentialId === null ? null : `urn:uuid:${h.credentialId}`,
  }));

const bareId = (credential: string) => credential.replace(/^urn:uuid:/, '');

/** The three forms of one list, each served from the latest signed copy. */
const FORMS = [
  {
    suffix: '',
    summary: 'IETF Token Status List token (statuslist+jwt, 2 bits per credential)',
    mediaType: STATUS_LIST_TOKEN_MEDIA_TYPE,
    pick: (p: ListDocuments) => p.token,
  },
  {
    suffix: '/revocation',
    summary: 'W3C Bitstring Status List credential, revocation (vc+jwt)',
    mediaType: VC_JWT_MEDIA_TYPE,
    pick: (p: ListDocuments) => p.revocation,
  },
  {
    suffix: '/suspension',
    summary: 'W3C Bitstring Status List credential, suspension (vc+jwt)',
    mediaType: VC_JWT_MEDIA_TYPE,
    pick: (p: ListDocuments) => p.suspension,
  },
] as const;

export function registerStatus(app: OpenAPIHono<AppEnv>, deps: ServiceDeps, oidc: TokenVerifier | undefined) {
  const view = (tenant: string, v: CredentialStatusView, changed?: boolean): z.infer<typeof CredentialStatusSchema> => ({
    credential: `urn:uuid:${v.credentialId}`,
    attestation_id: v.attestationId,
    status: v.status,
    ...(changed === undefined ? {} : { changed }),
    status_list: { id: v.listId, index: v.index, ...statusListUrls(deps.config.publicUrl, tenant, v.listId) },
    history: historyWire(v.history),
  });

  for (const form of FORMS) {
    app.openapi(
      createRoute({
        method: 'get',
        path: `/t/{tenant}/status/{list}${form.suffix}`,
        tags: ['public'],
        summary: form.summary,
        request: { params: ListParams },
        responses: {
          200: { description: form.summary, content: { [form.mediaType]: { schema: z.string() } } },
          304: { description: 'Not modified' },
          404: problem('Unknown tenant or status list'),
          503: problem('The list has no signed copy yet (the sweep makes one)'),
        },
      }),
      async (c) => {
        const { tenant, list } = c.req.valid('param');
        const tenantId = lookupTenantId(tenant);
        // Served from memory: the copy the last change or sweep signed. A reader never signs.
        const answer = (documents: ListDocuments) => {
          // Never cacheable past the copy's own expiry, and never longer than the ttl it announces.
          const left = Math.floor((documents.expiresAt.getTime() - deps.clock().getTime()) / 1000);
          return { doc: form.pick(documents), maxAge: Math.max(0, Math.min(STATUS_LIST_TTL_SECONDS, left)) };
        };
        const { doc, maxAge } = answer(await listDocuments(deps.projection, c.env.db, tenantId, list));
        return servePublic(c, doc, maxAge, {
          again: () => {
            const held = heldListDocuments(deps.projection, tenantId, list);
            return held && answer(held);
          },
        }) as never;
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/credentials/{credential}/status',
      tags: ['status'],
      summary: 'A credential’s status, where it is published, and every change to it',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['status', 'issuer', 'auditor'], tenantParam: true })] as const,
      request: { params: CredentialParams },
      responses: {
        200: { description: 'Status', content: { 'application/json': { schema: CredentialStatusSchema } } },
        409: problem('Issued without a status list entry'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, credential } = c.req.valid('param');
      const v = await withTenant(c.env.db, tenant, (tx) => statusOf(tx, tenant, bareId(credential)));
      return c.json(view(tenant, v), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/t/{tenant}/credentials/{credential}/status',
      tags: ['status'],
      summary: 'Revoke (final), suspend, or reinstate a credential’s attestation: every format of it changes together',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['status'], tenantParam: true })] as const,
      request: { params: CredentialParams, body: { required: true, content: { 'application/json': { schema: StatusChangeBody } } } },
      responses: {
        200: {
          description: 'The status now; `changed` is false when it already was',
          content: { 'application/json': { schema: CredentialStatusSchema } },
        },
        400: problem('Invalid request'),
        409: problem('Revoked (final), or issued without a status list entry'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, credential } = c.req.valid('param');
      const body = c.req.valid('json');
      const id = bareId(credential);
      const ctx = { now: deps.clock(), actor: c.get('principal')!.id, metrics: deps.metrics };
      const { outcome, status: v } = await setCredentialStatus(c.env.db, ctx, tenant, id, {
        to: body.status,
        reason: body.reason,
        ...(body.public_reason ? { publicReason: body.public_reason } : {}),
      });
      await publishBeforeResponse(c, deps, tenant, outcome.lists);
      c.header('cache-control', 'no-store');
      return c.json(view(tenant, v, outcome.changed.length > 0), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/credentials/revoke',
      tags: ['status'],
      summary: 'Revoke every credential of a subject, or every credential a key signed',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['status'], tenantParam: true })] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: BulkRevocationBody } } } },
      responses: {
        200: {
          description: 'The credentials revoked by this request (those already revoked are left as they were)',
          content: {
            'application/json': {
              schema: z.object({ revoked: z.number().int(), attestations: z.array(z.string()), credentials: z.array(z.string()) }),
            },
          },
        },
        400: problem('Invalid request'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const body = c.req.valid('json');
      const ctx = { now: deps.clock(), actor: c.get('principal')!.id, metrics: deps.metrics };
      const scope = 'kid' in body ? { kid: body.kid } : { subject: body.subject };
      const outcome = await withTenant(c.env.db, tenant, (tx) => revokeAll(tx, ctx, tenant, scope, body.reason));
      await publishBeforeResponse(c, deps, tenant, outcome.lists);
      c.header('cache-control', 'no-store');
      return c.json(
        {
          revoked: outcome.changed.length,
          attestations: [...outcome.attestations],
          credentials: outcome.changed.map((id) => `urn:uuid:${id}`),
        },
        200,
      );
    },
  );
}
