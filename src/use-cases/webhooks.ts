import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import type { Queryable, Database } from '../store/port.ts';
import { inExistingTenant } from '../tenants/tenants.ts';
import { isUuid } from '../util/uuid.ts';
import { sealWebhookSecret } from '../webhooks/secrets.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import {
  findWebhook,
  insertWebhook,
  lastPosition,
  listWebhooks,
  markWebhookDeleted,
  recentDeliveries,
  replaceWebhookSecret,
  rewindWebhook,
  type DeliveryRecord,
  type StoredWebhook,
} from '../webhooks/store.ts';
import { checkEndpointUrl } from '../webhooks/endpoint-url.ts';
import type { WebhookEventType } from '../webhooks/events.ts';

// Here rather than in webhooks/: registering an endpoint seals its secret with the KEK (keys),
// checks the tenant, and is audited.

export interface WebhookAdminDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly now: Date;
  readonly actor: Actor;
  /** Development only (config.webhooksAllowLocal): http and loopback endpoints are accepted. */
  readonly allowLocal: boolean;
}

/** How long a replaced secret keeps signing beside the new one unless asked otherwise: a day, time to deploy the new one. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400;
/** At most a week: two secrets signing for longer is two secrets to keep safe. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;

/**
 * Registers an endpoint for the tenant's events of `eventTypes` from now on (its cursor starts
 * after the last event already placed). The secret is returned here and never again.
 */
export async function createWebhook(
  deps: WebhookAdminDeps,
  tenantId: string,
  input: { url: string; eventTypes: readonly WebhookEventType[] },
): Promise<{ webhook: StoredWebhook; secret: string }> {
  const url = checkEndpointUrl(input.url, deps.allowLocal);
  const id = crypto.randomUUID();
  const secret = newWebhookSecret();
  const sealed = await sealWebhookSecret(deps.kek, tenantId, id, secret);
  const eventTypes = [...new Set(input.eventTypes)].sort();
  const webhook = await inExistingTenant(deps.db, tenantId, async (tx) => {
    await insertWebhook(tx, {
      tenantId,
      id,
      url,
      eventTypes,
      secretSealed: sealed,
      kekId: deps.kek.id,
      afterPosition: await lastPosition(tx, tenantId),
      createdAt: deps.now,
      createdBy: deps.actor,
    });
    await recordEvent(tx, {
      tenantId,
      at: deps.now,
      actor: deps.actor,
      action: 'webhook.created',
      target: id,
      detail: { url, event_types: eventTypes },
    });
    return (await findWebhook(tx, tenantId, id))!;
  });
  return { webhook, secret };
}

export function listTenantWebhooks(db: Database, tenantId: string): Promise<StoredWebhook[]> {
  return inExistingTenant(db, tenantId, (tx) => listWebhooks(tx, tenantId));
}

async function existing(tx: Queryable, tenantId: string, id: string, lock = false): Promise<StoredWebhook> {
  const found = isUuid(id) ? await findWebhook(tx, tenantId, id, lock) : undefined;
  if (!found) throw new AppError('webhook_not_found', `tenant ${tenantId} has no webhook ${id}`);
  return found;
}

export function getWebhook(db: Database, tenantId: string, id: string): Promise<StoredWebhook> {
  return inExistingTenant(db, tenantId, (tx) => existing(tx, tenantId, id));
}

/** Stops deliveries for good; the endpoint's delivery log stays readable to the audit trail only. */
export async function deleteWebhook(deps: WebhookAdminDeps, tenantId: string, id: string): Promise<void> {
  await inExistingTenant(deps.db, tenantId, async (tx) => {
    await existing(tx, tenantId, id, true);
    await markWebhookDeleted(tx, tenantId, id);
    await recordEvent(tx, { tenantId, at: deps.now, actor: deps.actor, action: 'webhook.deleted', target: id });
  });
}

/**
 * A new secret, returned once; the one it replaces goes on signing beside it (a second
 * signature in webhook-signature) for `overlapSeconds`, so the receiver can switch without a
 * message it cannot check.
 */
export async function rotateWebhookSecret(
  deps: WebhookAdminDeps,
  tenantId: string,
  id: string,
  overlapSeconds: number = DEFAULT_SECRET_OVERLAP_SECONDS,
): Promise<{ webhook: StoredWebhook; secret: string }> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_SECRET_OVERLAP_SECONDS)
    throw new AppError('invalid_request', `overlap_seconds is a whole number from 0 to ${MAX_SECRET_OVERLAP_SECONDS}`);
  const secret = newWebhookSecret();
  const sealed = await sealWebhookSecret(deps.kek, tenantId, id, secret);
  const webhook = await inExistingTenant(deps.db, tenantId, async (tx) => {
    const current = await existing(tx, tenantId, id, true);
    const previousUntil = new Date(deps.now.getTime() + overlapSeconds * 1000);
    await replaceWebhookSecret(tx, tenantId, id, {
      secretSealed: sealed,
      kekId: deps.kek.id,
      previousSealed: current.secretSealed,
      previousKekId: current.kekId,
      previousUntil,
    });
    await recordEvent(tx, {
      tenantId,
      at: deps.now,
      actor: deps.actor,
      action: 'webhook.secret_rotated',
      target: id,
      detail: { previous_until: previousUntil.toISOString() },
    });
    return (await findWebhook(tx, tenantId, id))!;
  });
  return { webhook, secret };
}

/**
 * Sends again from the event at `fromPosition` (default: where the endpoint stands, which
 * re-enables a disabled endpoint at the event it failed on). Never ahead of where it stands; it
 * may go back before the endpoint existed, to the tenant's first event, which fills a new
 * receiver with what happened before it was registered (the tenant's own events only).
 */
export async function replayWebhook(deps: WebhookAdminDeps, tenantId: string, id: string, fromPosition?: number): Promise<StoredWebhook> {
  return inExistingTenant(deps.db, tenantId, async (tx) => {
    const current = await existing(tx, tenantId, id, true);
    const after = fromPosition === undefined ? current.afterPosition : fromPosition - 1;
    if (after > current.afterPosition)
      throw new AppError(
        'invalid_request',
        `from_position ${fromPosition} is past the next event the endpoint is due (${current.afterPosition + 1})`,
      );
    if (after < -1) throw new AppError('invalid_request', 'from_position is 0 or more');
    await rewindWebhook(tx, tenantId, id, after);
    await recordEvent(tx, {
      tenantId,
      at: deps.now,
      actor: deps.actor,
      action: 'webhook.replayed',
      target: id,
      detail: { from_position: after + 1 },
    });
    return (await findWebhook(tx, tenantId, id))!;
  });
}

export async function webhookDeliveries(db: Database, tenantId: string, id: string, limit: number): Promise<DeliveryRecord[]> {
  return inExistingTenant(db, tenantId, async (tx) => {
    await existing(tx, tenantId, id);
    return recentDeliveries(tx, tenantId, id, limit);
  });
}
