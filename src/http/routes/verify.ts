import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { localIssuerKeys } from '../../verify/local-keys.ts';
import { verifyCredential, type VerifyEnvironment } from '../../verify/pipeline.ts';
import type { VerificationResult } from '../../verify/result.ts';
import { cachingStatusLists, localStatusLists, type StatusListCache } from '../../verify/status-sources.ts';
import { remoteIssuerKeys } from '../../verify/remote/remote-keys.ts';
import { createSafeFetch, createSafeTextFetch } from '../../verify/remote/safe-fetch.ts';
import { remoteStatusLists } from '../../verify/remote-status.ts';
import { trustPolicy } from '../../verify/trust.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { problem } from '../schemas.ts';

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
const VerifyResponse = z
  .object({
    verified: z.boolean(),
    format: z.string().optional(),
    issuer: z.string().optional(),
    subject: z.string().optional(),
    kid: z.string().optional(),
    checks: z.array(CheckSchema),
    claims: z.record(z.string(), z.unknown()).optional(),
    status: z.object({ value: z.enum(['valid', 'revoked', 'suspended']), lists: z.array(z.string()) }).optional(),
    readiness: z
      .object({
        profile: z.object({ id: z.string(), version: z.string() }),
        stage: z.unknown(),
        strict_gate_passed: z.unknown(),
        recomputed: z.boolean(),
      })
      .optional(),
  })
  .openapi('VerificationResult');

/** The wire form: the API's snake_case for the one camelCase member. */
function wire(r: VerificationResult): z.infer<typeof VerifyResponse> {
  const { readiness, status: _status, ...rest } = r;
  return {
    ...rest,
    checks: [...r.checks],
    ...(r.status ? { status: { value: r.status.value, lists: [...r.status.lists] } } : {}),
    ...(readiness
      ? {
          readiness: {
            profile: readiness.profile as { id: string; version: string },
            stage: readiness.stage,
            strict_gate_passed: readiness.strictGatePassed,
            recomputed: readiness.recomputed,
          },
        }
      : {}),
  };
}

export function registerVerify(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const origin = deps.config.publicUrl;
  const isTrusted = trustPolicy(origin, deps.config.trustedIssuers);
  // Other issuers are reached over the network, never at an address the caller could aim inward.
  const edge = { fetch: (request: Request) => deps.fetch(request), ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}) };
  const remoteKeys = remoteIssuerKeys({ fetchJson: createSafeFetch(edge) });
  // Shared across requests: another issuer's list is fetched once per its ttl, and verified on every use.
  const statusCache: StatusListCache = new Map();
  const remoteLists = cachingStatusLists(remoteStatusLists(createSafeTextFetch(edge)), deps.clock, statusCache);
  const environment = (c: Context<AppEnv>): VerifyEnvironment => ({
    keys: localIssuerKeys(c.env.db, origin, remoteKeys),
    statusLists: localStatusLists({ db: c.env.db, kek: deps.kek, origin, clock: deps.clock }, remoteLists),
    isTrusted,
    now: deps.clock(),
    skewSeconds: deps.config.verifyClockSkewSeconds,
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/verify',
      tags: ['verify'],
      summary: 'Verify a credential: signature, issuer key history, validity, disclosures, key binding, status and readiness verdict',
      description:
        'Public. Answers 200 with `verified` false and the failed check for a credential that does not verify; 4xx only for a request that is not one.',
      middleware: [rateLimit(deps.config.verifyRateLimitPerMinute, deps.clock)] as const,
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
      const result = await verifyCredential(
        body.credential,
        environment(c),
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
