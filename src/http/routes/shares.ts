import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import { badgeColour, badgeSvg, shieldsEndpoint } from '../../pages/badge.ts';
import { badgeStateOf, type BadgeState } from '../../sharing/badge-state.ts';
import { noticeOfCredential } from '../../sharing/notice.ts';
import { createShare, listShares, revokeShare, type ShareRecord } from '../../sharing/shares.ts';
import { inExistingTenant } from '../../tenants/tenants.ts';
import { noticeToJson } from '../../verify/notices.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { publicJson } from '../public-json.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';
import { AttestationParams } from './attestation-records.ts';

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant, attestation or share') };

/** A badge reflects a status change within this long; the SVG and the JSON say the same. */
const BADGE_MAX_AGE_SECONDS = 300;
/** Notices explain a status: as fresh as the status lists a verifier reads beside them. */
const NOTICE_MAX_AGE_SECONDS = 60;

const JsonPointer = z
  .string()
  .max(512)
  .regex(/^(\/[^/]*)+$/, 'must be a JSON pointer such as /results/security.ssrf');

const CreateShareBody = z
  .object({
    reveal: z.array(JsonPointer).max(500).default([]).openapi({
      description: 'The claims of the SD-JWT VC to reveal; subject, profile and verdict are always visible',
    }),
    expires_at: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone' }),
    label: z.string().trim().min(1).max(200).optional().openapi({ description: 'Who the link is for, e.g. "Globex procurement"' }),
  })
  .strict()
  .openapi('CreateShare');

const ShareView = z
  .object({
    id: z.string(),
    attestation_id: z.string(),
    label: z.string().nullable(),
    reveal: z.array(z.string()),
    format: z.string(),
    state: z.enum(['active', 'expired', 'revoked']),
    created_at: z.string(),
    created_by: z.string(),
    expires_at: z.string(),
    revoked_at: z.string().nullable(),
    view_count: z.number().int(),
    last_viewed_at: z.string().nullable(),
  })
  .openapi('Share');

const ShareParams = AttestationParams.extend({
  share: z
    .string()
    .max(64)
    .openapi({ param: { name: 'share', in: 'path' } }),
});
const TokenParam = z.object({
  token: z
    .string()
    .max(64)
    .openapi({ param: { name: 'token', in: 'path' } }),
});
const NoticeParams = TenantParam.extend({
  credential: z
    .string()
    .max(64)
    .openapi({ param: { name: 'credential', in: 'path' }, description: 'The credential id (the UUID of its urn:uuid: id)' }),
});

const shareWire = (s: ShareRecord): z.infer<typeof ShareView> => ({
  id: s.id,
  attestation_id: s.attestationId,
  label: s.label,
  reveal: [...s.reveal],
  format: s.format,
  state: s.state,
  created_at: s.createdAt.toISOString(),
  created_by: s.createdBy,
  expires_at: s.expiresAt.toISOString(),
  revoked_at: s.revokedAt?.toISOString() ?? null,
  view_count: s.viewCount,
  last_viewed_at: s.lastViewedAt?.toISOString() ?? null,
});

function badgeText(state: BadgeState) {
  const message = `${state.stage ?? 'no stage reached'} · ${state.status}`;
  return {
    label: 'launch readiness',
    message,
    colour: badgeColour(state.status),
    title: `${state.subject}: launch readiness ${message}, attested by ${state.tenantName}`,
  };
}

export function registerShares(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const origin = deps.config.publicUrl;
  const issuer = guard(oidc, { roles: ['issuer'], tenantParam: true });
  const reader = guard(oidc, { roles: ['issuer', 'auditor'], tenantParam: true });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/attestations/{attestation}/shares',
      tags: ['sharing'],
      summary: 'Share one attestation with a buyer: a link to the verification page revealing only the claims chosen',
      security: bearerSecurity,
      middleware: [issuer] as const,
      request: { params: AttestationParams, body: { required: true, content: { 'application/json': { schema: CreateShareBody } } } },
      responses: {
        201: {
          description: 'The link; its token is shown here once and stored only as a hash',
          content: {
            'application/json': {
              schema: ShareView.extend({ url: z.string(), badge: z.object({ svg: z.string(), json: z.string() }), token: z.string() }),
            },
          },
        },
        400: problem('Invalid request'),
        422: problem('Not shareable revealing what was asked'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, attestation } = c.req.valid('param');
      const body = c.req.valid('json');
      const { share, token } = await createShare({ db: c.env.db, now: deps.clock(), actor: c.get('principal')!.id }, tenant, attestation, {
        reveal: body.reveal,
        expiresAt: new Date(body.expires_at),
        ...(body.label ? { label: body.label } : {}),
      });
      const url = `${origin.origin}/s/${token}`;
      c.header('cache-control', 'no-store');
      c.header('location', `/v1/t/${tenant}/attestations/${attestation}/shares/${share.id}`);
      return c.json({ ...shareWire(share), url, badge: { svg: `${url}/badge.svg`, json: `${url}/badge.json` }, token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/attestations/{attestation}/shares',
      tags: ['sharing'],
      summary: 'The share links of an attestation, with how often and when each was last viewed',
      security: bearerSecurity,
      middleware: [reader] as const,
      request: { params: AttestationParams },
      responses: {
        200: {
          description: 'The links (never their tokens)',
          content: { 'application/json': { schema: z.object({ shares: z.array(ShareView) }) } },
        },
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, attestation } = c.req.valid('param');
      return c.json({ shares: (await listShares(c.env.db, tenant, attestation, deps.clock())).map(shareWire) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/t/{tenant}/attestations/{attestation}/shares/{share}',
      tags: ['sharing'],
      summary: 'Withdraw a share link: it answers 410 from now on',
      security: bearerSecurity,
      middleware: [issuer] as const,
      request: { params: ShareParams },
      responses: { 200: { description: 'The link, withdrawn', content: { 'application/json': { schema: ShareView } } }, ...denied },
    }),
    async (c) => {
      const { tenant, attestation, share } = c.req.valid('param');
      const revoked = await revokeShare({ db: c.env.db, now: deps.clock(), actor: c.get('principal')!.id }, tenant, attestation, share);
      c.header('cache-control', 'no-store');
      return c.json(shareWire(revoked), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/notices/{credential}',
      tags: ['public'],
      summary:
        'What the issuer publishes about a credential’s attestation: its status since when, the reason it chose to publish, and what replaced it',
      request: { params: NoticeParams },
      responses: {
        200: { description: 'The notice', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
        304: { description: 'Not modified' },
        404: problem('Unknown tenant or credential'),
      },
    }),
    async (c) => {
      const { tenant, credential } = c.req.valid('param');
      const id = credential.replace(/^urn:uuid:/, '');
      const notice = await inExistingTenant(c.env.db, tenant, (tx) => noticeOfCredential(tx, tenant, id));
      if (!notice) throw new AppError('credential_not_found', `tenant ${tenant} has no credential ${credential}`);
      return publicJson(c, noticeToJson(notice), NOTICE_MAX_AGE_SECONDS) as never;
    },
  );

  const badgeRoute = (suffix: 'svg' | 'json') =>
    createRoute({
      method: 'get',
      path: `/s/{token}/badge.${suffix}`,
      tags: ['public'],
      summary:
        suffix === 'svg'
          ? 'The live badge of a shared attestation: its launch stage and status, linking to the share page'
          : 'The same badge as a shields.io endpoint',
      request: { params: TokenParam },
      responses: {
        200: {
          description: 'The badge',
          content:
            suffix === 'svg'
              ? { 'image/svg+xml': { schema: z.string() } }
              : { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        },
        304: { description: 'Not modified' },
        404: problem('Unknown share link'),
        410: problem('The share link expired or was withdrawn'),
      },
    });
  for (const suffix of ['svg', 'json'] as const) {
    app.openapi(badgeRoute(suffix), async (c) => {
      const { token } = c.req.valid('param');
      const state = await badgeStateOf(c.env.db, token, deps.clock());
      if (state === undefined) throw new AppError('share_not_found', 'no such share link');
      if (state === 'gone') throw new AppError('share_gone', 'the share link expired or was withdrawn');
      const text = badgeText(state);
      if (suffix === 'json') return publicJson(c, shieldsEndpoint(text), BADGE_MAX_AGE_SECONDS) as never;
      const svg = badgeSvg({ ...text, href: `${origin.origin}/s/${token}` });
      const res = await publicJson(c, svg, BADGE_MAX_AGE_SECONDS, 'image/svg+xml', { preserialised: true });
      // An SVG opened on its own is a document: it may draw, never script or load anything.
      res.headers.set('content-security-policy', "default-src 'none'");
      return res as never;
    });
  }
}
