import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listTenantWebhooks,
  MAX_SECRET_OVERLAP_SECONDS,
  replayWebhook,
  rotateWebhookSecret,
  webhookDeliveries,
  type WebhookAdminDeps,
} from '../../use-cases/webhooks.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.ts';
import type { DeliveryRecord, StoredWebhook } from '../../webhooks/store.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';

/*
 * A tenant's webhook endpoints (docs/webhooks.md): registered, listed, rotated, replayed and
 * deleted by its admins. Routes map the wire to the use cases (use-cases/webhooks.ts) and back.
 */

const EventType = z.enum(WEBHOOK_EVENT_TYPES);

const CreateWebhook = z
  .object({
    url: z
      .string()
      .max(2048)
      .openapi({ description: 'An https URL on a public address', example: 'https://hooks.example.com/launchproof' }),
    event_types: z.array(EventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
  })
  .strict()
  .openapi('CreateWebhook');

const RotateSecret = z
  .object({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_OVERLAP_SECONDS)
      .optional()
      .openapi({ description: 'How long the replaced secret goes on signing beside the new one (default a day)' }),
  })
  .strict()
  .openapi('RotateWebhookSecret');

const Replay = z
  .object({
    from_position: z
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({ description: 'Send again from this event (default: the event the endpoint is due, which re-enables it)' }),
  })
  .strict()
  .openapi('ReplayWebhook');

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    event_types: z.array(z.string()),
    state: z.enum(['active', 'disabled']),
    disabled_at: z.string().nullable(),
    disabled_reason: z.string().nullable(),
    next_position: z.number().int().openapi({ description: 'The position of the next event it is due' }),
    failing_since: z.string().nullable(),
    failed_attempts: z.number().int().openapi({ description: 'Failed attempts in a row at the event it is due' }),
    next_attempt_at: z.string().nullable(),
    previous_secret_until: z.string().nullable(),
    created_at: z.string(),
    created_by: z.string(),
  })
  .openapi('Webhook');

const WithSecret = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'Shown this once: the whsec_ secret its deliveries are signed with (Standard Webhooks)' }),
}).openapi('WebhookWithSecret');

const DeliverySchema = z
  .object({
    event_id: z.string().openapi({ description: 'The webhook-id header of the message' }),
    event_type: z.string(),
    position: z.number().int(),
    attempt: z.number().int(),
    at: z.string(),
    outcome: z.enum(['delivered', 'failed']),
    status: z.number().int().nullable(),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');

const WebhookParams = TenantParam.extend({
  webhook: z
    .string()
    .max(64)
    .openapi({ param: { name: 'webhook', in: 'path' } }),
});

const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const denied = { 401: problem('No valid credential'), 403: problem('Not allowed'), 404: problem('Unknown tenant or webhook') };

const wire = (w: StoredWebhook): z.infer<typeof WebhookSchema> => ({
  id: w.id,
  url: w.url,
  event_types: [...w.eventTypes],
  state: w.state === 'disabled' ? 'disabled' : 'active',
  disabled_at: w.disabledAt?.toISOString() ?? null,
  disabled_reason: w.disabledReason,
  next_position: w.afterPosition + 1,
  failing_since: w.failingSince?.toISOString() ?? null,
  failed_attempts: w.attempts,
  next_attempt_at: w.nextAttemptAt?.toISOString() ?? null,
  previous_secret_until: w.previousUntil?.toISOString() ?? null,
  created_at: w.createdAt.toISOString(),
  created_by: w.createdBy,
});

const deliveryWire = (d: DeliveryRecord): z.infer<typeof DeliverySchema> => ({
  event_id: d.eventId,
  event_type: d.eventType,
  position: d.position,
  attempt: d.attempt,
  at: d.at.toISOString(),
  outcome: d.outcome,
  status: d.status,
  latency_ms: d.latencyMs,
  error: d.error,
  response_excerpt: d.excerpt,
});

export function registerWebhooks(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  const admin = guard(oidc, { roles: ['admin'], tenantParam: true });
  const ucDeps = (c: Context<AppEnv>): WebhookAdminDeps => ({
    db: c.env.db,
    kek: deps.kek,
    now: deps.clock(),
    actor: c.get('principal')!.id,
    allowLocal: deps.config.webhooksAllowLocal,
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/webhooks',
      tags: ['webhooks'],
      summary: 'Register an endpoint for the tenant’s events; its signing secret is shown once',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: TenantParam, body: { required: true, content: { 'application/json': { schema: CreateWebhook } } } },
      responses: {
        201: { description: 'Registered', content: { 'application/json': { schema: WithSecret } } },
        400: problem('Invalid request, or an endpoint that is not https on a public address (unsafe_webhook_url)'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const body = c.req.valid('json');
      const { webhook, secret } = await createWebhook(ucDeps(c), tenant, { url: body.url, eventTypes: body.event_types });
      return c.json({ ...wire(webhook), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/webhooks',
      tags: ['webhooks'],
      summary: 'The tenant’s endpoints and where each stands',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: TenantParam },
      responses: {
        200: { description: 'Endpoints', content: { 'application/json': { schema: z.object({ webhooks: z.array(WebhookSchema) }) } } },
        ...denied,
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      return c.json({ webhooks: (await listTenantWebhooks(c.env.db, tenant)).map(wire) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/webhooks/{webhook}/secret',
      tags: ['webhooks'],
      summary: 'Replace the signing secret; the old one signs beside it for the overlap',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: WebhookParams, body: { required: false, content: { 'application/json': { schema: RotateSecret } } } },
      responses: {
        200: { description: 'The new secret, shown this once', content: { 'application/json': { schema: WithSecret } } },
        400: problem('Invalid request'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, webhook } = c.req.valid('param');
      const body = c.req.valid('json') as z.infer<typeof RotateSecret> | undefined;
      const rotated = await rotateWebhookSecret(ucDeps(c), tenant, webhook, body?.overlap_seconds);
      return c.json({ ...wire(rotated.webhook), secret: rotated.secret }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/t/{tenant}/webhooks/{webhook}/replay',
      tags: ['webhooks'],
      summary: 'Send again from an event (and re-enable a disabled endpoint)',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: WebhookParams, body: { required: false, content: { 'application/json': { schema: Replay } } } },
      responses: {
        200: { description: 'Rewound; the dispatcher sends from there', content: { 'application/json': { schema: WebhookSchema } } },
        400: problem('Invalid request'),
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, webhook } = c.req.valid('param');
      const body = c.req.valid('json') as z.infer<typeof Replay> | undefined;
      return c.json(wire(await replayWebhook(ucDeps(c), tenant, webhook, body?.from_position)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/webhooks/{webhook}/deliveries',
      tags: ['webhooks'],
      summary: 'The delivery log: every attempt, newest first',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: WebhookParams, query: DeliveriesQuery },
      responses: {
        200: {
          description: 'Attempts',
          content: { 'application/json': { schema: z.object({ deliveries: z.array(DeliverySchema) }) } },
        },
        ...denied,
      },
    }),
    async (c) => {
      const { tenant, webhook } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      return c.json({ deliveries: (await webhookDeliveries(c.env.db, tenant, webhook, limit ?? 100)).map(deliveryWire) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/webhooks/{webhook}',
      tags: ['webhooks'],
      summary: 'One endpoint and where it stands',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: WebhookParams },
      responses: { 200: { description: 'The endpoint', content: { 'application/json': { schema: WebhookSchema } } }, ...denied },
    }),
    async (c) => {
      const { tenant, webhook } = c.req.valid('param');
      return c.json(wire(await getWebhook(c.env.db, tenant, webhook)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/t/{tenant}/webhooks/{webhook}',
      tags: ['webhooks'],
      summary: 'Stop an endpoint’s deliveries for good',
      security: bearerSecurity,
      middleware: [admin] as const,
      request: { params: WebhookParams },
      responses: { 204: { description: 'Deleted' }, ...denied },
    }),
    async (c) => {
      const { tenant, webhook } = c.req.valid('param');
      await deleteWebhook(ucDeps(c), tenant, webhook);
      return c.body(null, 204);
    },
  );
}
