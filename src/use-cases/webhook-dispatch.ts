import { recordEvent } from '../audit/events.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import type { Metrics } from '../metrics/port.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { openWebhookSecret } from '../webhooks/secrets.ts';
import { WebhookSendFailure, type WebhookSender } from '../webhooks/sender.ts';
import { signWebhook } from '../webhooks/signing.ts';
import { cancelToken, cancelUrl } from '../webhooks/cancel-link.ts';
import {
  leaseDueWebhooks,
  nextEventFor,
  recordAttempt,
  releaseLease,
  releaseLostLease,
  tenantsWithDueWebhooks,
  type LeasedWebhook,
  type OutboxEvent,
  type StoredWebhook,
} from '../webhooks/store.ts';
import { onCommittedOutboxEvents } from '../store/publication-changes.ts';
import { startTenantWork, type TenantWork } from '../store/tenant-work.ts';

// Here rather than in webhooks/: a delivery opens the endpoint's secret with the KEK (keys) and
// is audited when it disables an endpoint.

export interface WebhookDispatchDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly now: () => Date;
  readonly send: WebhookSender;
  /** Where the service is served: a buyer's notice carries the link that cancels its subscription. */
  readonly publicUrl: URL;
  readonly metrics?: Metrics;
  /** The pause before the `failures`th retry of an event (jitter included); the default doubles from 5 s up to an hour. */
  readonly retryDelayMs?: (failures: number) => number;
  /** An endpoint failing for this long is disabled (3 days unless given). */
  readonly disableAfterMs?: number;
  /** How long a dispatcher holds an endpoint while it sends (longer than a send's deadline). */
  readonly leaseMs?: number;
}

const DAY_MS = 86_400_000;
export const DISABLE_AFTER_MS = 3 * DAY_MS;
/** Three times a send's deadline (10 s): a live holder always records before it ends; a dead one's ends soon. */
const LEASE_MS = 30_000;
/** Events sent in one run of a tenant's dispatcher; a longer backlog is taken by the next run. */
const EVENTS_PER_RUN = 200;

/**
 * Exponential, with full jitter over its upper half: 5 s, 10 s, 20 s … up to an hour, so that
 * endpoints that failed together do not all come back at the same instant.
 */
export function defaultRetryDelayMs(failures: number): number {
  const ceiling = Math.min(5_000 * 2 ** Math.max(0, failures - 1), 3_600_000);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Delivers what is due to the tenant's endpoints (docs/webhooks.md, Delivery): each endpoint's
 * events one at a time, in their order, at least once; an endpoint whose event fails waits for
 * its retry and sends nothing after it meanwhile; the endpoints go side by side, each at its own
 * pace. Returns the number of attempts made. Safe on several instances at once: an endpoint is
 * leased to one dispatcher, and an attempt is only recorded by the holder of the lease. Stops
 * taking new events past `until` (a Date.now() instant), for a run that has a budget.
 */
export async function dispatchWebhooks(deps: WebhookDispatchDeps, tenantId: string, until?: number): Promise<number> {
  const leased = await withTenant(deps.db, tenantId, (tx) => leaseDueWebhooks(tx, tenantId, deps.now(), deps.leaseMs ?? LEASE_MS));
  const runs = await Promise.allSettled(leased.map((w) => deliverInOrder(deps, w, until)));
  const failed = runs.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return runs.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
}

/** The endpoint's events in order while they go through, under its lease; the attempts made. */
async function deliverInOrder(deps: WebhookDispatchDeps, leased: LeasedWebhook, until: number | undefined): Promise<number> {
  let w = leased;
  let attempts = 0;
  const release = () => withTenant(deps.db, w.tenantId, (tx) => releaseLease(tx, w.tenantId, w.id, w.leaseId));
  for (;;) {
    if (attempts >= EVENTS_PER_RUN || (until !== undefined && Date.now() >= until)) {
      await release();
      return attempts;
    }
    const event = await withTenant(deps.db, w.tenantId, (tx) => nextEventFor(tx, w));
    if (!event) {
      await release();
      return attempts;
    }
    const outcome = await attempt(deps, w, event);
    attempts++;
    if (!outcome.held || !outcome.delivered) return attempts;
    w = { ...w, afterPosition: event.position, attempts: 0, failingSince: null, leasedUntil: outcome.leaseUntil };
  }
}

interface Outcome {
  readonly ok: boolean;
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly excerpt: string | null;
}

/** Signs and sends one event; a secret that cannot be opened fails the attempt like an endpoint that cannot be reached. */
async function send(deps: WebhookDispatchDeps, w: LeasedWebhook, event: OutboxEvent): Promise<Outcome> {
  const sentAt = deps.now();
  let secrets: string[];
  let body: string;
  try {
    secrets = await secretsOf(deps.kek, w, sentAt);
    body = await messageFor(deps.publicUrl, w, event, secrets[0]!);
  } catch (e) {
    return {
      ok: false,
      status: null,
      latencyMs: 0,
      error: `signing_unavailable: ${e instanceof Error ? e.message : String(e)}`,
      excerpt: null,
    };
  }
  const headers = await signWebhook(event.id, sentAt, body, secrets);
  try {
    const answer = await deps.send({
      url: w.url,
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'launchproof-webhooks' },
      body,
    });
    const ok = answer.status >= 200 && answer.status < 300;
    return { ok, status: answer.status, latencyMs: answer.latencyMs, error: ok ? null : `HTTP ${answer.status}`, excerpt: answer.excerpt };
  } catch (e) {
    if (!(e instanceof WebhookSendFailure)) throw e;
    return { ok: false, status: null, latencyMs: e.latencyMs, error: `${e.code}: ${e.message}`, excerpt: null };
  }
}

/** One attempt at `event`, recorded if the lease is still held; what it came to. */
async function attempt(
  deps: WebhookDispatchDeps,
  w: LeasedWebhook,
  event: OutboxEvent,
): Promise<{ held: boolean; delivered: boolean; leaseUntil: Date }> {
  const outcome = await send(deps, w, event);
  const at = deps.now();
  const failures = outcome.ok ? 0 : w.attempts + 1;
  const failingSince = w.failingSince ?? at;
  const disable =
    !outcome.ok && at.getTime() - failingSince.getTime() >= (deps.disableAfterMs ?? DISABLE_AFTER_MS)
      ? `failing since ${failingSince.toISOString()}: ${outcome.error}`
      : null;
  const retryAt = outcome.ok || disable ? null : new Date(at.getTime() + (deps.retryDelayMs ?? defaultRetryDelayMs)(failures));
  const leaseUntil = new Date(at.getTime() + (deps.leaseMs ?? LEASE_MS));
  const held = await withTenant(deps.db, w.tenantId, async (tx) => {
    const recorded = await recordAttempt(tx, w.tenantId, {
      webhookId: w.id,
      eventId: event.id,
      at,
      outcome: outcome.ok ? 'delivered' : 'failed',
      status: outcome.status,
      latencyMs: Math.max(0, Math.round(outcome.latencyMs)),
      error: outcome.error,
      excerpt: outcome.excerpt,
      position: event.position,
      failures,
      leaseId: w.leaseId,
      leaseUntil,
      retryAt,
      disable,
    });
    if (!recorded) {
      // Lost to a delete or a replay: the lease it leaves is freed, so a replay takes effect now.
      await releaseLostLease(tx, w.tenantId, w.id, w.leasedUntil);
      return false;
    }
    if (disable) await recordEvent(tx, disabledEvent(w, at, disable, failingSince));
    return true;
  });
  if (held) {
    deps.metrics?.record({ kind: 'webhook_delivery', outcome: outcome.ok ? 'delivered' : 'failed' });
    if (disable) deps.metrics?.record({ kind: 'webhook_disabled' });
  }
  return { held, delivered: outcome.ok, leaseUntil };
}

/**
 * The audit event of an endpoint disabled. A buyer's subscription is recorded without its URL or
 * what its endpoint answered: the tenant sees that a party stopped hearing, never who it is.
 */
function disabledEvent(w: StoredWebhook, at: Date, reason: string, failingSince: Date) {
  if (w.attestationId === null)
    return { tenantId: w.tenantId, at, actor: 'system', action: 'webhook.disabled', target: w.id, detail: { reason, url: w.url } };
  return {
    tenantId: w.tenantId,
    at,
    actor: 'system',
    action: 'subscription.disabled',
    target: w.attestationId,
    detail: { subscription: w.id, failing_since: failingSince.toISOString() },
  };
}

/** The message as sent, the same bytes on every attempt: Standard Webhooks' `{type, timestamp, data}`. */
export function messageBody(event: OutboxEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.at.toISOString(), data: event.data });
}

/**
 * What one endpoint is sent: a tenant's endpoint the event as placed; a buyer's subscription the
 * notice besides (its JWS, signed by the tenant's key, null if none could sign) and the link that
 * cancels the subscription. Derived from the event and the subscription's secret alone, so a retry
 * sends the same bytes.
 */
async function messageFor(publicUrl: URL, w: StoredWebhook, event: OutboxEvent, secret: string): Promise<string> {
  if (w.attestationId === null) return messageBody(event);
  const cancel = cancelUrl(publicUrl, w.tenantId, w.id, await cancelToken(secret, w.id));
  return JSON.stringify({
    type: event.type,
    timestamp: event.at.toISOString(),
    data: { ...event.data, notice: event.notice, subscription: { id: w.id, cancel_url: cancel } },
  });
}

/** The endpoint's current secret, and its previous one while the rotation's overlap lasts. */
async function secretsOf(kek: KeyEncryptionKey, w: StoredWebhook, now: Date): Promise<string[]> {
  const open = (sealed: string, kekId: string) => openWebhookSecret(kek, w.tenantId, w.id, sealed, kekId);
  const secrets = [await open(w.secretSealed, w.kekId)];
  if (w.previousSealed && w.previousKekId && w.previousUntil && w.previousUntil > now)
    secrets.push(await open(w.previousSealed, w.previousKekId));
  return secrets;
}

/**
 * How often a server looks for deliveries due (docs/webhooks.md, When): a retry falls due with
 * time, not with a commit, so the poll runs on the embedded database too. Events this process
 * placed are sent at once, announced when their sequencer run commits.
 */
export const WEBHOOK_POLL_MS = 1_000;

/** The dispatcher as a server runs it: after each sequencer run of its own that placed events, and on the poll. */
export function startWebhookDispatch(
  deps: WebhookDispatchDeps,
  onError: (tenantId: string, e: unknown) => void,
  pollMs = WEBHOOK_POLL_MS,
): TenantWork {
  return startTenantWork(deps.db, (tenantId) => dispatchWebhooks(deps, tenantId), {
    waiting: (tx) => tenantsWithDueWebhooks(tx, deps.now()),
    subscribe: onCommittedOutboxEvents,
    pollMs,
    onError,
  });
}
