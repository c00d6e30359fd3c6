import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { issueAttestations } from '../../attestations/issue.ts';
import { attestationUrls, tenantDid } from '../../credentials/urls.ts';
import { AppError } from '../../errors/index.ts';
import { changeStatus, statusOf } from '../../status/changes.ts';
import { bitstringStatusEntries } from '../../credentials/status-reference.ts';
import { statusListUrls } from '../../status/urls.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { envelopeVcJwt } from '../../vc-api/envelope.ts';
import { issuanceOf, issueCredentialRequestSchema, vcApiPointer } from '../../vc-api/issue-credential.ts';
import { statusChangeOf, updateCredentialStatusSchema } from '../../vc-api/status-update.ts';
import { vcApiVerification } from '../../vc-api/verification-result.ts';
import { publishBeforeResponse } from '../publish-before-response.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';
import type { PublicVerifier } from '../verifier.ts';
import { VerifyResponse, wire } from './verify.ts';

/**
 * The W3C CCG VC-API (issuer.yml, verifier.yml) per tenant, so generic VC tooling and the W3C
 * test suites can drive this issuer. Errors stay RFC 9457 problems: the VC-API's Error Handling
 * section asks for exactly that (a status and a title in an RFC 9457 body).
 */

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant') };
const oneOrMany = z.union([z.string(), z.array(z.string())]);

const EnvelopedCredential = z
  .object({ '@context': oneOrMany, id: z.string(), type: z.literal('EnvelopedVerifiableCredential') })
  .openapi('EnvelopedVerifiableCredential');

const VerifyCredentialRequest = z
  .strictObject({
    verifiableCredential: z.looseObject({ type: oneOrMany, id: z.string().max(262_144).optional() }),
    // VerifyCredentialOptions: none of its members changes what this verifier checks, so they are read and ignored.
    options: z.looseObject({}).optional(),
  })
  .openapi('VerifyCredentialRequest');

const ProblemDetails = z.object({ type: z.string(), title: z.string(), detail: z.string().optional() });
const VerifyCredentialResponse = z
  .object({
    verified: z.boolean(),
    checks: z.array(z.string()),
    warnings: z.array(ProblemDetails),
    errors: z.array(ProblemDetails),
    /** The full launchproof report, as /v1/verify answers it. */
    launchproof: VerifyResponse,
  })
  .openapi('VerifyCredentialResponse');

const CredentialStatusUpdated = z
  .object({
    credentialId: z.string(),
    credentialStatus: z.object({
      id: z.string(),
      type: z.string(),
      statusPurpose: z.string(),
      statusListIndex: z.string(),
      statusListCredential: z.string(),
    }),
    status: z.boolean(),
    changed: z.boolean(),
  })
  .openapi('CredentialStatusUpdated');

export function registerVcApi(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined, verifier: PublicVerifier) {
  const origin = deps.config.publicUrl;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/credentials/issue',
      tags: ['vc-api'],
      summary: 'VC-API: issue a launch-readiness attestation as an enveloped vc+jwt',
      description:
        'The credential’s `credentialSubject.assessment` is a readiness assessment (or the id of a stored one); the service computes the verdict. ' +
        '`options.credentialId` makes the call idempotent. 400 for a credential that is malformed or names another issuer, 422 for one this issuer would not sign as given.',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['issuer'], tenantParam: true, limit: 'issuance' })] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: issueCredentialRequestSchema } } } },
      responses: {
        201: {
          description: 'Issued',
          content: { 'application/json': { schema: z.object({ verifiableCredential: EnvelopedCredential }) } },
        },
        400: problem('Malformed request, or an issuer other than this tenant'),
        409: problem('options.credentialId reused with a different request'),
        422: problem('Not issuable as given'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const body = c.req.valid('json');
      const request = issuanceOf(body, tenantDid(origin, tenant), attestationUrls(origin).context);
      let out;
      try {
        out = await issueAttestations(
          { db: c.env.db, kek: deps.kek, origin, now: deps.clock(), actor: c.get('principal')!.id, metrics: deps.metrics },
          tenant,
          request,
          body.options?.credentialId,
        );
      } catch (e) {
        if (!(e instanceof AppError) || e.fields.length === 0) throw e;
        throw new AppError(e.code, e.message, { fields: e.fields.map((f) => ({ ...f, pointer: vcApiPointer(f.pointer) })), cause: e });
      }
      const issued = out.credentials[0]!;
      c.header('cache-control', 'no-store');
      if (out.replayed) c.header('idempotent-replayed', 'true');
      return c.json({ verifiableCredential: envelopeVcJwt(issued.credential) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/credentials/verify',
      tags: ['vc-api'],
      summary: 'VC-API: verify a credential (an EnvelopedVerifiableCredential of vc+jwt, jwt_vc_json or dc+sd-jwt)',
      description:
        'Public, and rate-limited together with /v1/verify. A credential that does not verify is a 200 with `verified` false and its `errors`: ' +
        'the VC-API’s Error Handling section asks verifiers to report verification problems in the result rather than raise them. 400 only for a request that is not one.',
      middleware: [verifier.limit] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: VerifyCredentialRequest } } } },
      responses: {
        200: { description: 'The verification result', content: { 'application/json': { schema: VerifyCredentialResponse } } },
        400: problem('Invalid request'),
        413: problem('Body too large'),
        429: problem('Rate limited'),
      },
    }),
    async (c) => {
      const result = await verifier.verify(c, c.req.valid('json').verifiableCredential);
      c.header('cache-control', 'no-store');
      return c.json({ ...vcApiVerification(result), launchproof: wire(result) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/credentials/status',
      tags: ['vc-api'],
      summary: 'VC-API: set the revocation or suspension bit of a credential’s status entry',
      description:
        'Revocation is final: clearing a revocation bit answers 409 status_final. Naming a status entry the credential does not carry answers 422.',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['status'], tenantParam: true })] as const,
      request: {
        params: TenantParam,
        body: { required: true, content: { 'application/json': { schema: updateCredentialStatusSchema } } },
      },
      responses: {
        200: { description: 'The entry’s bit now', content: { 'application/json': { schema: CredentialStatusUpdated } } },
        400: problem('Invalid request'),
        409: problem('Revoked (final), or issued without a status list entry'),
        422: problem('Not one of the credential’s status entries'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const body = c.req.valid('json');
      const id = body.credentialId.replace(/^urn:uuid:/, '');
      const ctx = { now: deps.clock(), actor: c.get('principal')!.id, metrics: deps.metrics };
      const { slot, outcome, current } = await withTenant(c.env.db, tenant, async (tx) => {
        const before = await statusOf(tx, tenant, id);
        const slot = { index: before.index, urls: statusListUrls(origin, tenant, before.listId) };
        const to = statusChangeOf(body, before.status, slot);
        // A VC-API request carries no reason; the audit trail still says where the change came from.
        const outcome = to
          ? await changeStatus(tx, ctx, tenant, id, { to, reason: 'set through the VC-API credentials/status endpoint' })
          : undefined;
        return { slot, outcome, current: to ?? before.status };
      });
      await publishBeforeResponse(c, deps, tenant, outcome?.lists ?? []);
      const purpose = body.credentialStatus.statusPurpose;
      const entry = bitstringStatusEntries(slot).find((e) => e.statusPurpose === purpose)!;
      c.header('cache-control', 'no-store');
      return c.json(
        {
          credentialId: `urn:uuid:${id}`,
          credentialStatus: entry,
          status: current === (purpose === 'revocation' ? 'revoked' : 'suspended'),
          changed: (outcome?.changed.length ?? 0) > 0,
        },
        200,
      );
    },
  );
}
