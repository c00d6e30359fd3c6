import type { Queryable } from '../store/port.ts';
import { noteOutboxEvents } from '../store/publication-changes.ts';
import type { WebhookEvent } from './events.ts';

/*
 * The SQL of the webhooks domain (migrations/0013_webhooks.sql): the tenant's outbox, its
 * endpoints with their delivery cursors and leases, and the log of every attempt.
 */

/**
 * Whether the tenant has an endpoint not deleted: the sequencer places no event for a tenant
 * without. A disabled endpoint counts, so that the replay that re-enables it finds what happened
 * while it was off.
 */
export async function hasLiveWebhooks(tx: Queryable, tenantId: string): Promise<boolean> {
  const [row] = await tx.query<{ endpoints: boolean }>(`select exists (${TENANT_ENDPOINTS}) as endpoints`, [tenantId]);
  return row!.endpoints;
}

/** The tenant's ($1) own endpoints that events are placed for (webhooks_tenant_endpoints). */
const TENANT_ENDPOINTS = "select 1 from webhooks where tenant_id = $1 and audience = 'tenant' and state <> 'deleted'";

/**
 * Holds the tenant's outbox positions to the end of the transaction: a transaction-scoped
 * advisory lock on the tenant's name, so placers outside the log's sequencer (an offer redeemed,
 * evidence nearing its end) queue with it, and a tenant's placers never wait on another's.
 */
export async function lockOutboxPositions(tx: Queryable, tenantId: string): Promise<void> {
  await tx.query("select pg_advisory_xact_lock(hashtextextended('launchproof.outbox:' || $1, 0))", [tenantId]);
}

/**
 * Who the sequencer places anything for, in one read: whether the tenant has endpoints of its
 * own, and whether it had a share link open since `since` (whose buyers a change may concern).
 * A tenant with neither, the common case, costs its sequencer runs this read and nothing more.
 */
export async function eventAudience(tx: Queryable, tenantId: string, since: Date): Promise<{ endpoints: boolean; shares: boolean }> {
  const [row] = await tx.query<{ endpoints: boolean; shares: boolean }>(
    `select exists (${TENANT_ENDPOINTS}) as endpoints,
            exists (select 1 from shares where tenant_id = $1 and least(revoked_at, expires_at) > $2) as shares`,
    [tenantId, since],
  );
  return { endpoints: row!.endpoints, shares: row!.shares };
}

/** The position the tenant's next event takes (under lockOutboxPositions: one placer at a time). */
export async function nextPosition(tx: Queryable, tenantId: string): Promise<number> {
  const [row] = await tx.query<{ n: string | number }>(
    'select coalesce(max(position), -1) + 1 as n from outbox_events where tenant_id = $1',
    [tenantId],
  );
  return Number(row!.n);
}

/** Places events at `first`, `first + 1`, … in the order given; one statement. */
export async function insertOutboxEvents(tx: Queryable, tenantId: string, first: number, events: readonly WebhookEvent[]): Promise<void> {
  if (events.length === 0) return;
  noteOutboxEvents(tx, tenantId);
  await tx.query(
    `insert into outbox_events (tenant_id, id, position, type, attestation_id, log_index, data, at, notice)
     select $1, coalesce(e.id, gen_random_uuid()), e.position, e.type, e.attestation_id, e.log_index, e.data, e.at, e.notice
       from jsonb_to_recordset($2::jsonb)
         as e (id uuid, position bigint, type text, attestation_id uuid, log_index bigint, data jsonb, at timestamptz, notice text)
      order by e.position`,
    [
      tenantId,
      events.map((e, i) => ({
        id: e.id ?? null,
        notice: e.notice ?? null,
        position: first + i,
        type: e.type,
        attestation_id: e.attestationId,
        log_index: e.logIndex,
        data: e.data,
        at: e.at.toISOString(),
      })),
    ],
  );
}

export interface OutboxEvent {
  readonly id: string;
  readonly position: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly at: Date;
  /** A buyer's notice: its JWS, signed by the tenant's key when it was placed (null if no key could sign). */
  readonly notice: string | null;
}

interface EventRow {
  id: string;
  position: string | number;
  type: string;
  data: Record<string, unknown>;
  at: Date;
  notice: string | null;
}

const toEvent = (r: EventRow): OutboxEvent => ({
  id: r.id,
  position: Number(r.position),
  type: r.type,
  data: r.data,
  at: r.at,
  notice: r.notice,
});

/** The type prefix of the events buyers are sent (a share's notices), which tenants' endpoints never take. */
export const NOTICE_TYPE_PREFIX = 'notice.';

/**
 * The endpoint's first event after its cursor, undefined when there is none yet: for a tenant's
 * endpoint, one of its types (one index probe per type); for a buyer's subscription, the next
 * notice of its attestation.
 */
export async function nextEventFor(
  tx: Queryable,
  w: { tenantId: string; afterPosition: number; eventTypes: readonly string[]; attestationId: string | null; shareId: string | null },
): Promise<OutboxEvent | undefined> {
  if (w.attestationId !== null && w.shareId !== null)
    return (await noticesOf(tx, w.tenantId, w.attestationId, { after: w.afterPosition, limit: 1, within: w.shareId }))[0];
  const [row] = await tx.query<EventRow>(
    `select o.id, o.position, o.type, o.data, o.at, o.notice
       from jsonb_array_elements_text($3::jsonb) as t (type)
       cross join lateral (select id, position, type, data, at, notice from outbox_events
                            where tenant_id = $1 and type = t.type and position > $2 order by position limit 1) o
      order by o.position limit 1`,
    [w.tenantId, w.afterPosition, w.eventTypes],
  );
  return row && toEvent(row);
}

/**
 * An attestation's notices: after a position, oldest first (a subscription's cursor), or the
 * newest `newest`, newest first (a share's feed). `within` a share link: only the changes made
 * while that link was open (the vendor's consent to that buyer), even once it is closed.
 */
export async function noticesOf(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
  o: ({ after: number; limit: number } | { newest: number }) & { within?: string },
): Promise<OutboxEvent[]> {
  const after = 'after' in o;
  const rows = await tx.query<EventRow>(
    `select o.id, o.position, o.type, o.data, o.at, o.notice from outbox_events o
      where o.tenant_id = $1 and o.attestation_id = $2 and o.type like '${NOTICE_TYPE_PREFIX}%' and o.position > $3
        ${o.within === undefined ? '' : `and ${CHANGED_WHILE_SHARED('$5')}`}
      order by o.position ${after ? 'asc' : 'desc'} limit $4`,
    [tenantId, attestationId, after ? o.after : -1, after ? o.limit : o.newest, ...(o.within === undefined ? [] : [o.within])],
  );
  return rows.map(toEvent);
}

/** The notice `o` is of a change made while the share link `share` (a parameter) was open. */
const CHANGED_WHILE_SHARED = (share: string) =>
  `exists (select 1 from shares s where s.tenant_id = o.tenant_id and s.id = ${share}
            and o.at >= s.created_at and o.at < least(s.revoked_at, s.expires_at))`;

/** The position of the tenant's last event; -1 before the first. */
export async function lastPosition(tx: Queryable, tenantId: string): Promise<number> {
  return (await nextPosition(tx, tenantId)) - 1;
}

export type WebhookState = 'active' | 'disabled' | 'deleted';

export interface StoredWebhook {
  readonly tenantId: string;
  readonly id: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly secretSealed: string;
  readonly kekId: string;
  readonly previousSealed: string | null;
  readonly previousKekId: string | null;
  readonly previousUntil: Date | null;
  readonly state: WebhookState;
  readonly disabledAt: Date | null;
  readonly disabledReason: string | null;
  readonly afterPosition: number;
  readonly attempts: number;
  readonly failingSince: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly createdBy: string;
  /** A buyer's subscription: the attestation it follows and the share link it was made from (null for a tenant's endpoint). */
  readonly attestationId: string | null;
  readonly shareId: string | null;
}

interface WebhookRow {
  tenant_id: string;
  id: string;
  url: string;
  event_types: string[];
  secret_sealed: string;
  kek_id: string;
  previous_sealed: string | null;
  previous_kek_id: string | null;
  previous_until: Date | null;
  state: WebhookState;
  disabled_at: Date | null;
  disabled_reason: string | null;
  after_position: string | number;
  attempts: number;
  failing_since: Date | null;
  next_attempt_at: Date | null;
  created_at: Date;
  created_by: string;
  attestation_id: string | null;
  share_id: string | null;
}

const COLUMNS = `tenant_id, id, url, event_types, secret_sealed, kek_id, previous_sealed, previous_kek_id, previous_until, state,
  disabled_at, disabled_reason, after_position, attempts, failing_since, next_attempt_at, created_at, created_by, attestation_id, share_id`;

/** The columns qualified by the alias `w`, for an update that returns them. */
const W_COLUMNS = COLUMNS.split(',')
  .map((c) => `w.${c.trim()}`)
  .join(', ');

const toWebhook = (r: WebhookRow): StoredWebhook => ({
  tenantId: r.tenant_id,
  id: r.id,
  url: r.url,
  eventTypes: r.event_types,
  secretSealed: r.secret_sealed,
  kekId: r.kek_id,
  previousSealed: r.previous_sealed,
  previousKekId: r.previous_kek_id,
  previousUntil: r.previous_until,
  state: r.state,
  disabledAt: r.disabled_at,
  disabledReason: r.disabled_reason,
  afterPosition: Number(r.after_position),
  attempts: r.attempts,
  failingSince: r.failing_since,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  createdBy: r.created_by,
  attestationId: r.attestation_id,
  shareId: r.share_id,
});

export async function insertWebhook(
  tx: Queryable,
  w: {
    tenantId: string;
    id: string;
    url: string;
    eventTypes: readonly string[];
    secretSealed: string;
    kekId: string;
    afterPosition: number;
    createdAt: Date;
    createdBy: string;
    /** A buyer's subscription: the share it was made from, its attestation, and the name the buyer gave, if any. */
    buyer?: { shareId: string; attestationId: string; party: string | null };
  },
): Promise<void> {
  await tx.query(
    `insert into webhooks (tenant_id, id, url, event_types, secret_sealed, kek_id, after_position, created_at, created_by,
                           audience, share_id, attestation_id, party)
     values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      w.tenantId,
      w.id,
      w.url,
      w.eventTypes,
      w.secretSealed,
      w.kekId,
      w.afterPosition,
      w.createdAt,
      w.createdBy,
      w.buyer ? 'buyer' : 'tenant',
      w.buyer?.shareId ?? null,
      w.buyer?.attestationId ?? null,
      w.buyer?.party ?? null,
    ],
  );
}

/** A buyer's subscription, deleted (cancelled) or not. */
export async function findSubscription(tx: Queryable, tenantId: string, id: string): Promise<StoredWebhook | undefined> {
  const [row] = await tx.query<WebhookRow>(`select ${COLUMNS} from webhooks where tenant_id = $1 and id = $2 and audience = 'buyer'`, [
    tenantId,
    id,
  ]);
  return row && toWebhook(row);
}

/** Holds a share link's subscriptions to the end of the transaction: two confirmed at once are counted one after the other. */
export async function lockShareSubscriptions(tx: Queryable, shareId: string): Promise<void> {
  await tx.query("select pg_advisory_xact_lock(hashtextextended('launchproof.share-subscriptions:' || $1, 0))", [shareId]);
}

/** Subscriptions made from a share link and not cancelled. */
export async function liveSubscriptionsOfShare(tx: Queryable, tenantId: string, shareId: string): Promise<number> {
  const [row] = await tx.query<{ n: string | number }>(
    "select count(*) as n from webhooks where tenant_id = $1 and share_id = $2 and audience = 'buyer' and state <> 'deleted'",
    [tenantId, shareId],
  );
  return Number(row!.n);
}

/** Who relies on each attestation, as the tenant may know it: how many subscriptions are live, and the names buyers chose to give. */
export interface RelyingParties {
  readonly subscribed: number;
  readonly named: readonly string[];
}

export async function relyingParties(
  tx: Queryable,
  tenantId: string,
  attestationIds: readonly string[],
  now: Date,
): Promise<Map<string, RelyingParties>> {
  const rows = await tx.query<{ attestation_id: string; n: string | number; named: string[] | null }>(
    `select attestation_id, count(*) as n, jsonb_agg(distinct party order by party) filter (where party is not null) as named
       from webhooks w
      where w.tenant_id = $1 and w.audience = 'buyer' and w.state = 'active'
        and w.attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb))
        and ${OPEN_SHARE('$3')}
      group by attestation_id`,
    [tenantId, attestationIds, now],
  );
  return new Map(rows.map((r) => [r.attestation_id, { subscribed: Number(r.n), named: r.named ?? [] }]));
}

/** The tenant's endpoints, not deleted, oldest first (buyers' subscriptions are not the tenant's to see). */
export async function listWebhooks(tx: Queryable, tenantId: string): Promise<StoredWebhook[]> {
  const rows = await tx.query<WebhookRow>(
    `select ${COLUMNS} from webhooks where tenant_id = $1 and audience = 'tenant' and state <> 'deleted' order by created_at, id`,
    [tenantId],
  );
  return rows.map(toWebhook);
}

/** One of the tenant's endpoints (not deleted); with `lock`, its row locked to the end of the transaction. */
export async function findWebhook(tx: Queryable, tenantId: string, id: string, lock = false): Promise<StoredWebhook | undefined> {
  const [row] = await tx.query<WebhookRow>(
    `select ${COLUMNS} from webhooks where tenant_id = $1 and id = $2 and audience = 'tenant' and state <> 'deleted'${lock ? ' for update' : ''}`,
    [tenantId, id],
  );
  return row && toWebhook(row);
}

export async function markWebhookDeleted(tx: Queryable, tenantId: string, id: string): Promise<boolean> {
  const rows = await tx.query(
    "update webhooks set state = 'deleted', lease_id = null where tenant_id = $1 and id = $2 and state <> 'deleted' returning id",
    [tenantId, id],
  );
  return rows.length > 0;
}

/** A new secret; the old one signs beside it until `previousUntil`. */
export async function replaceWebhookSecret(
  tx: Queryable,
  tenantId: string,
  id: string,
  s: { secretSealed: string; kekId: string; previousSealed: string; previousKekId: string; previousUntil: Date },
): Promise<void> {
  await tx.query(
    `update webhooks set secret_sealed = $3, kek_id = $4, previous_sealed = $5, previous_kek_id = $6, previous_until = $7
      where tenant_id = $1 and id = $2`,
    [tenantId, id, s.secretSealed, s.kekId, s.previousSealed, s.previousKekId, s.previousUntil],
  );
}

/**
 * Active again from the event after `afterPosition` (a replay), attempted at once: the cursor may
 * go back (events sent again carry their first webhook-id, so receivers drop what they had). A
 * lease held meanwhile is left to run out, its token taken away: the dispatcher holding it may
 * still be sending, and no second one may send beside it; its attempt is not recorded.
 */
export async function rewindWebhook(tx: Queryable, tenantId: string, id: string, afterPosition: number): Promise<void> {
  await tx.query(
    `update webhooks set state = 'active', disabled_at = null, disabled_reason = null, after_position = $3,
        attempts = 0, failing_since = null, next_attempt_at = null, lease_id = null
      where tenant_id = $1 and id = $2`,
    [tenantId, id, afterPosition],
  );
}

/** An endpoint as a dispatcher holds it: the lease's token (what its records are checked against) and end. */
export interface LeasedWebhook extends StoredWebhook {
  readonly leaseId: string;
  readonly leasedUntil: Date;
}

/**
 * An event for the endpoint after its cursor: of one of a tenant endpoint's types (one index
 * probe per type, outbox_events_type), or a notice of a subscription's attestation
 * (outbox_events_notices) of a change made while the share link it was made from was open. The
 * link is the vendor's consent: withdrawn or expired, its subscriptions hear of nothing that
 * happens after, and still of what happened before (a revocation, then the link withdrawn).
 */
const DUE_EVENT = `(case when w.attestation_id is null
   then exists (select 1 from jsonb_array_elements_text(w.event_types) as t (type)
                  join outbox_events o on o.tenant_id = w.tenant_id and o.type = t.type and o.position > w.after_position)
   else exists (select 1 from outbox_events o
                 where o.tenant_id = w.tenant_id and o.attestation_id = w.attestation_id
                   and o.type like '${NOTICE_TYPE_PREFIX}%' and o.position > w.after_position
                   and ${CHANGED_WHILE_SHARED('w.share_id')}) end)`;

/** The subscription's share link is neither withdrawn nor expired at `now`. */
const OPEN_SHARE = (now: string) =>
  `exists (select 1 from shares s where s.tenant_id = w.tenant_id and s.id = w.share_id and s.revoked_at is null and s.expires_at > ${now})`;

/**
 * The tenant's active endpoints with an event waiting and due now, each taken for `leaseMs`
 * under a token of its own: no other dispatcher (here or on another instance) sends to it until
 * the lease ends or is given back, and only the token's holder records an attempt. A lease left
 * by a process that died ends on its own, and the event is sent again.
 */
export async function leaseDueWebhooks(tx: Queryable, tenantId: string, now: Date, leaseMs: number): Promise<LeasedWebhook[]> {
  const leasedUntil = new Date(now.getTime() + leaseMs);
  const rows = await tx.query<WebhookRow & { lease_id: string }>(
    `update webhooks w set lease_until = $3, lease_id = gen_random_uuid()
      where w.tenant_id = $1 and w.state = 'active'
        and (w.lease_until is null or w.lease_until <= $2)
        and (w.next_attempt_at is null or w.next_attempt_at <= $2)
        and ${DUE_EVENT}
      returning w.lease_id, ${W_COLUMNS}`,
    [tenantId, now, leasedUntil],
  );
  return rows.map((r) => ({ ...toWebhook(r), leaseId: r.lease_id, leasedUntil }));
}

/** Tenants with an endpoint that has an event due now (the dispatcher's poll), read across tenants. */
export async function tenantsWithDueWebhooks(tx: Queryable, now: Date): Promise<string[]> {
  const rows = await tx.query<{ tenant_id: string }>(
    `select distinct w.tenant_id from webhooks w
      where w.state = 'active'
        and (w.lease_until is null or w.lease_until <= $1)
        and (w.next_attempt_at is null or w.next_attempt_at <= $1)
        and ${DUE_EVENT}`,
    [now],
  );
  return rows.map((r) => r.tenant_id);
}

export interface Attempt {
  readonly webhookId: string;
  readonly eventId: string;
  /** The attempt's number at this event, from 1 (a replay numbers on from the attempts before it). */
  readonly attempt: number;
  readonly at: Date;
  readonly outcome: 'delivered' | 'failed';
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly excerpt: string | null;
}

/**
 * Records an attempt and moves the endpoint on, if this dispatcher still holds it (its lease's
 * token unchanged: a delete or a replay takes the token away): delivered, the cursor passes the
 * event and the lease runs on to `leaseUntil` for the next one; failed (the `failures`th time in
 * a row at this event), the lease ends and the next attempt is due at `retryAt`, or the endpoint
 * is disabled (`disable`, the reason). Returns false, changing and logging nothing, when the lease
 * was lost: the holder alone writes, so two attempts never take one number.
 */
export async function recordAttempt(
  tx: Queryable,
  tenantId: string,
  a: Omit<Attempt, 'attempt'> & {
    position: number;
    failures: number;
    leaseId: string;
    leaseUntil: Date;
    retryAt: Date | null;
    disable: string | null;
  },
): Promise<boolean> {
  const moved =
    a.outcome === 'delivered'
      ? await tx.query(
          `update webhooks set after_position = $4, attempts = 0, failing_since = null, next_attempt_at = null, lease_until = $5
            where tenant_id = $1 and id = $2 and lease_id = $3 returning id`,
          [tenantId, a.webhookId, a.leaseId, a.position, a.leaseUntil],
        )
      : await tx.query(
          `update webhooks set attempts = $4, failing_since = coalesce(failing_since, $5), next_attempt_at = $6,
                  lease_until = null, lease_id = null,
                  state = case when $7::text is null then state else 'disabled' end,
                  disabled_at = case when $7::text is null then disabled_at else $5 end,
                  disabled_reason = coalesce($7::text, disabled_reason)
            where tenant_id = $1 and id = $2 and lease_id = $3 returning id`,
          [tenantId, a.webhookId, a.leaseId, a.failures, a.at, a.retryAt, a.disable],
        );
  if (moved.length === 0) return false;
  await tx.query(
    `insert into webhook_deliveries (tenant_id, webhook_id, event_id, attempt, at, outcome, status, latency_ms, error, excerpt)
     select $1, $2, $3, coalesce(max(attempt), 0) + 1, $4, $5, $6, $7, $8, $9
       from webhook_deliveries where tenant_id = $1 and webhook_id = $2 and event_id = $3`,
    [tenantId, a.webhookId, a.eventId, a.at, a.outcome, a.status, a.latencyMs, a.error, a.excerpt],
  );
  return true;
}

/**
 * Frees a lease whose token a delete or a replay took away, once its holder is done: nobody else
 * holds it (a new lease would carry a token), so the endpoint may be taken again at once.
 */
export async function releaseLostLease(tx: Queryable, tenantId: string, id: string, leasedUntil: Date): Promise<void> {
  await tx.query('update webhooks set lease_until = null where tenant_id = $1 and id = $2 and lease_id is null and lease_until = $3', [
    tenantId,
    id,
    leasedUntil,
  ]);
}

/** Gives a lease back (nothing left to send, or the run's share is spent). */
export async function releaseLease(tx: Queryable, tenantId: string, id: string, leaseId: string): Promise<void> {
  await tx.query('update webhooks set lease_until = null, lease_id = null where tenant_id = $1 and id = $2 and lease_id = $3', [
    tenantId,
    id,
    leaseId,
  ]);
}

export interface DeliveryRecord extends Attempt {
  readonly eventType: string;
  readonly position: number;
}

/** The endpoint's attempts, newest first, at most `limit`. */
export async function recentDeliveries(tx: Queryable, tenantId: string, webhookId: string, limit: number): Promise<DeliveryRecord[]> {
  const rows = await tx.query<{
    event_id: string;
    attempt: number;
    at: Date;
    outcome: 'delivered' | 'failed';
    status: number | null;
    latency_ms: number;
    error: string | null;
    excerpt: string | null;
    type: string;
    position: string | number;
  }>(
    `select d.event_id, d.attempt, d.at, d.outcome, d.status, d.latency_ms, d.error, d.excerpt, o.type, o.position
       from webhook_deliveries d join outbox_events o on o.tenant_id = d.tenant_id and o.id = d.event_id
      where d.tenant_id = $1 and d.webhook_id = $2
      order by d.at desc, o.position desc, d.attempt desc limit $3`,
    [tenantId, webhookId, limit],
  );
  return rows.map((r) => ({
    webhookId,
    eventId: r.event_id,
    attempt: r.attempt,
    at: r.at,
    outcome: r.outcome,
    status: r.status,
    latencyMs: r.latency_ms,
    error: r.error,
    excerpt: r.excerpt,
    eventType: r.type,
    position: Number(r.position),
  }));
}

/**
 * Every sealed secret of the endpoints not deleted, for the doctor's "the KEK opens every key": a
 * previous secret may still sign while its overlap lasts (`now`, the database's clock).
 */
export async function sealedWebhookSecrets(
  tx: Queryable,
): Promise<{ tenantId: string; id: string; kekId: string; sealed: string; mayStillSign: boolean }[]> {
  const rows = await tx.query<{ tenant_id: string; id: string; kek_id: string; sealed: string; may_sign: boolean }>(
    `select tenant_id, id, kek_id, secret_sealed as sealed, true as may_sign from webhooks where state <> 'deleted'
     union all
     select tenant_id, id, previous_kek_id, previous_sealed, previous_until > now() from webhooks
      where state <> 'deleted' and previous_sealed is not null
     order by tenant_id, id`,
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id, kekId: r.kek_id, sealed: r.sealed, mayStillSign: r.may_sign }));
}

/**
 * Webhook secrets still sealed under `kekId`, for a KEK rotation (current and previous secrets
 * alike). A cancelled buyer's subscription keeps its secret sealed: its cancel link, sent in every
 * notice, must go on answering after the old KEK is gone.
 */
export async function webhookSecretsSealedUnder(
  tx: Queryable,
  kekId: string,
): Promise<{ tenantId: string; id: string; which: 'current' | 'previous'; sealed: string }[]> {
  const rows = await tx.query<{ tenant_id: string; id: string; which: 'current' | 'previous'; sealed: string }>(
    `select tenant_id, id, 'current' as which, secret_sealed as sealed from webhooks where kek_id = $1 and (state <> 'deleted' or audience = 'buyer')
     union all
     select tenant_id, id, 'previous', previous_sealed from webhooks where previous_kek_id = $1 and previous_sealed is not null and state <> 'deleted'
     order by tenant_id, id`,
    [kekId],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id, which: r.which, sealed: r.sealed }));
}

/**
 * The secret re-sealed, if it is still the one read (`was`): a secret rotated meanwhile is left
 * as it is, sealed under the new KEK already, and not overwritten by the old one re-sealed.
 */
export async function replaceSealedWebhookSecret(
  tx: Queryable,
  tenantId: string,
  id: string,
  which: 'current' | 'previous',
  s: { was: string; sealed: string; kekId: string },
): Promise<void> {
  await tx.query(
    which === 'current'
      ? 'update webhooks set secret_sealed = $3, kek_id = $4 where tenant_id = $1 and id = $2 and secret_sealed = $5'
      : 'update webhooks set previous_sealed = $3, previous_kek_id = $4 where tenant_id = $1 and id = $2 and previous_sealed = $5',
    [tenantId, id, s.sealed, s.kekId, s.was],
  );
}
