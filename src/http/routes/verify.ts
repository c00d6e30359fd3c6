import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { VerificationResult } from '../../verify/result.ts';
import { verificationResultToJson } from '../../verify/wire.ts';
import type { AppEnv } from '../context.ts';
import { problem } from '../schemas.ts';
import type { PublicVerifier } from '../verifier.ts';

const VerifyBody = z
  .object({
    credential: z.union([
      z.string().min(1).max(262_144),
      z
        .object({ '@context': z.unknown().optional(), type: z.union([z.string(), z.array(z.string())]), id: z.string().max(262_144) })
        .passthrough(),
    ]),
    key_binding: z
      .object({
        audience: z.string().min(1).max(2048),
        nonce: z.string().min(1).max(512),
        max_age_seconds: z.number().int().min(1).max(86_400).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('VerifyRequest');

const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), code: z.string(), detail: z.string().optional() });
export const VerifyResponse = z
  .object({
    verified: z.boolean(),
    format: z.string().optional(),
    credential_id: z.string().optional(),
    issuer: z.string().optional(),
    subject: z.string().optional(),
    kid: z.string().optional(),
    checks: z.array(CheckSchema),
    claims: z.record(z.string(), z.unknown()).optional(),
    status: z.object({ value: z.enum(['valid', 'revoked', 'suspended']), lists: z.array(z.string()) }).optional(),
    notice: z
      .object({
        attestation_id: z.string(),
        status: z.enum(['valid', 'revoked', 'suspended']),
        changed_at: z.string().optional(),
        reason: z.string().optional(),
        superseded_by: z.object({ attestation_id: z.string(), issued_at: z.string() }).optional(),
      })
      .optional()
      .openapi({
        description:
          'What the issuer publishes about the attestation: since when its status holds, the reason it published, and what replaced it',
      }),
    readiness: z
      .object({
        profile: z.object({ id: z.string(), version: z.string() }),
        stage: z.unknown(),
        strict_gate_passed: z.unknown(),
        recomputed: z.boolean(),
      })
      .optional(),
    warnings: z
      .array(
        z.object({
          code: z.enum(['evidence_stale', 'evidence_expired']),
          control: z.string(),
          evidence: z.string().openapi({ description: 'The evidence uri' }),
          observed_at: z.string().optional(),
          expires_at: z.string().optional(),
        }),
      )
      .optional()
      .openapi({
        description:
          "Evidence a passing control relies on that is older than the profile's freshness rule (evidence_stale) or past its expiry (evidence_expired) when verified. Never fails the credential.",
      }),
  })
  .openapi('VerificationResult');

/** Kept under its old name for the routes that import it from here; the mapping is shared with the offline CLI. */
export const wire: (r: VerificationResult) => z.infer<typeof VerifyResponse> = verificationResultToJson;

export function registerVerify(app: OpenAPIHono<AppEnv>, verifier: PublicVerifier) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/verify',
      tags: ['verify'],
      summary: 'Verify a credential: signature, issuer key history, validity, disclosures, key binding, status and readiness verdict',
      description:
        'Public. Answers 200 with `verified` false and the failed check for a credential that does not verify; 4xx only for a request that is not one.',
      middleware: [verifier.limit] as const,
      request: { body: { required: true, content: { 'application/json': { schema: VerifyBody } } } },
      responses: {
        200: { description: 'The verification report', content: { 'application/json': { schema: VerifyResponse } } },
        400: problem('Invalid request'),
        413: problem('Body too large'),
        429: problem('Rate limited'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const result = await verifier.verify(
        c,
        body.credential,
        body.key_binding
          ? {
              keyBinding: {
                audience: body.key_binding.audience,
                nonce: body.key_binding.nonce,
                ...(body.key_binding.max_age_seconds ? { maxAgeSeconds: body.key_binding.max_age_seconds } : {}),
              },
            }
          : {},
      );
      c.header('cache-control', 'no-store');
      return c.json(wire(result), 200);
    },
  );
}
