import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { documentOf } from '../../projection/documents.ts';
import { shareFeed } from '../../use-cases/share-feed.ts';
import { cancelSubscription, MAX_SUBSCRIPTIONS_PER_SHARE, subscribeToShare } from '../../use-cases/share-subscriptions.ts';
import { webhookSender } from '../../webhooks/http-sender.ts';
import { clientAddress, limitKey } from '../client-address.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { take, windowPolicy } from '../middleware/rate-limit.ts';
import { matches } from '../public-json.ts';
import { problem } from '../schemas.ts';

/*
 * What a buyer holding a share link may ask to be told (docs/webhooks.md, Buyers): a subscription
 * of their endpoint to the shared attestation's notices, cancelled from any notice, and the
 * share's change feed for those who poll instead. Public: the share link's token, or the cancel
 * link's, is the authority.
 */

const TokenParam = z.object({
  token: z
    .string()
    .max(64)
    .openapi({ param: { name: 'token', in: 'path' }, description: 'The token of the share link (/s/{token})' }),
});

const Subscribe = z
  .object({
    url: z.string().max(2048).openapi({
      description: 'An https URL on a public address; it must answer the challenge',
      example: 'https://hooks.buyer.example/lp',
    }),
    party: z
      .string()
      .trim()
      .min(1)
      .max(200)
      // Shown to the tenant as written: no control or format characters (a right-to-left override can make a name read as another).
      .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'must not contain control or format characters')
      .optional()
      .openapi({
        description:
          'Who you are, if you want the vendor to know (otherwise it sees only that someone subscribed); self-declared, not checked',
      }),
  })
  .strict()
  .openapi('SubscribeToShare');

const Subscription = z
  .object({
    id: z.string(),
    attestation_id: z.string(),
    url: z.string(),
    party: z.string().nullable(),
    created_at: z.string(),
    secret: z.string().openapi({ description: 'Shown this once: the whsec_ secret the notices are signed with (Standard Webhooks)' }),
    cancel_url: z.string().openapi({ description: 'POST to it to cancel; every notice carries it too' }),
    feed_url: z.string(),
  })
  .openapi('ShareSubscription');

const CancelParams = z.object({
  tenant: z
    .string()
    .max(64)
    .openapi({ param: { name: 'tenant', in: 'path' } }),
  subscription: z
    .string()
    .max(64)
    .openapi({ param: { name: 'subscription', in: 'path' } }),
});
const CancelQuery = z.object({ token: z.string().max(64).openapi({ description: 'The token of the cancel link' }) });

/**
 * A subscription makes the service send a request for a stranger, so it is rarer than other
 * public calls: per share link, and per client address, a few challenges in ten minutes.
 */
const SUBSCRIBE_WINDOW_SECONDS = 600;
const SUBSCRIBES_PER_SHARE = 5;
const SUBSCRIBES_PER_ADDRESS = 30;

export function registerShareNotices(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const perShare = windowPolicy('subscribe-share', SUBSCRIBES_PER_SHARE, SUBSCRIBE_WINDOW_SECONDS);
  const perAddress = windowPolicy('subscribe', SUBSCRIBES_PER_ADDRESS, SUBSCRIBE_WINDOW_SECONDS);
  const edge = deps.outbound ?? ((request: Request) => deps.fetch(request));
  const send = webhookSender(edge, { allowLocal: deps.config.webhooksAllowLocal });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/s/{token}/subscriptions',
      tags: ['sharing'],
      summary: 'Subscribe an endpoint to notices of the shared attestation: suspended, reinstated, revoked, replaced, its key revoked',
      description:
        'The endpoint is first sent a signed `subscription.challenge` and must answer 2xx with the challenge (as text or as {"challenge": …}); ' +
        `nothing is stored otherwise. A share link holds at most ${MAX_SUBSCRIPTIONS_PER_SHARE} subscriptions.`,
      request: { params: TokenParam, body: { required: true, content: { 'application/json': { schema: Subscribe } } } },
      responses: {
        201: { description: 'Subscribed; the secret is shown once', content: { 'application/json': { schema: Subscription } } },
        400: problem('Invalid request, or an endpoint that is not https on a public address (unsafe_webhook_url)'),
        404: problem('No such share link'),
        409: problem('The share link holds as many subscriptions as it may (subscription_limit)'),
        410: problem('The share link expired or was withdrawn'),
        422: problem('The endpoint did not answer the challenge (subscription_not_confirmed)'),
        429: problem('Too many subscriptions tried from this address or for this link'),
      },
    }),
    async (c) => {
      const { token } = c.req.valid('param');
      const body = c.req.valid('json');
      const now = deps.clock();
      const byAddress = take(c, perAddress, limitKey(clientAddress(c, deps.config.trustProxy)), now);
      if (byAddress.refused) return byAddress.refused as never;
      const byShare = take(c, perShare, token, now);
      if (byShare.refused) return byShare.refused as never;
      const made = await subscribeToShare(
        { db: c.env.db, kek: deps.kek, now, publicUrl: deps.config.publicUrl, send, allowLocal: deps.config.webhooksAllowLocal },
        token,
        { url: body.url, ...(body.party ? { party: body.party } : {}) },
      );
      const answer = c.json(
        {
          id: made.id,
          attestation_id: made.attestationId,
          url: made.url,
          party: made.party,
          created_at: made.createdAt.toISOString(),
          secret: made.secret,
          cancel_url: made.cancelUrl,
          feed_url: `${deps.config.publicUrl.origin}/s/${token}/feed.json`,
        },
        201,
      );
      byAddress.stamp();
      byShare.stamp();
      return answer;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/t/{tenant}/subscriptions/{subscription}/cancel',
      tags: ['sharing'],
      summary: 'Cancel a buyer’s subscription with the link every notice carries',
      request: { params: CancelParams, query: CancelQuery },
      responses: {
        200: {
          description: 'Cancelled (or already cancelled): no notice is sent to it again',
          content: { 'application/json': { schema: z.object({ id: z.string(), state: z.literal('cancelled') }) } },
        },
        404: problem('No such subscription, or the cancel link is not valid'),
      },
    }),
    async (c) => {
      const { tenant, subscription } = c.req.valid('param');
      const { token } = c.req.valid('query');
      const done = await cancelSubscription({ db: c.env.db, kek: deps.kek, now: deps.clock() }, tenant, subscription, token);
      return c.json({ id: done.id, state: 'cancelled' as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/s/{token}/feed.json',
      tags: ['sharing'],
      summary: 'The share’s change feed (JSON Feed 1.1): every notice of the attestation, each with its JWS signed by the issuer’s key',
      description: 'Poll with If-None-Match: the ETag changes only when a notice is added.',
      request: { params: TokenParam },
      responses: {
        200: { description: 'The feed', content: { 'application/feed+json': { schema: z.object({}).passthrough() } } },
        304: { description: 'Unchanged since the ETag given' },
        404: problem('No such share link'),
        410: problem('The share link expired or was withdrawn'),
      },
    }),
    async (c) => {
      const { token } = c.req.valid('param');
      const feed = await shareFeed(c.env.db, deps.config.publicUrl, token, deps.clock());
      const doc = await documentOf(JSON.stringify(feed), 'application/feed+json');
      // Meant for whoever the vendor sent the link to: revalidated every time, kept by no shared cache, never indexed.
      const fields = { etag: doc.etag, 'cache-control': 'private, no-cache', 'x-robots-tag': 'noindex, nofollow' };
      if (matches(c.req.header('if-none-match'), doc.etag)) return new Response(null, { status: 304, headers: fields }) as never;
      return new Response(doc.body, { status: 200, headers: { ...fields, 'content-type': doc.contentType } }) as never;
    },
  );
}
