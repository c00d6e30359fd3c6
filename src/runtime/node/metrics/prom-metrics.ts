import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricEvent, Metrics } from '../../../metrics/port.ts';
import type { OperationalGauges } from '../../../metrics/store.ts';

/** Seconds; from a cached public document (milliseconds) to a slow remote verification (seconds). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metrics port on Node, with prom-client, in a registry of its own (not prom-client's global
 * one, so two services in one test process never share counters). Every name and label here is
 * listed in docs/metrics.md; the alert rules and the dashboard are tested against them.
 */
export function createPromMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  const r = [registry];
  const requests = new Counter({
    name: 'launchproof_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status (499: the client went away).',
    labelNames: ['method', 'route', 'status'] as const,
    registers: r,
  });
  const duration = new Histogram({
    name: 'launchproof_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: r,
  });
  const fromMemory = new Counter({
    name: 'launchproof_http_answered_from_memory_total',
    help: 'Public GETs answered from memory before routing (also in launchproof_http_requests_total), by route template.',
    labelNames: ['route'] as const,
    registers: r,
  });
  const problems = new Counter({
    name: 'launchproof_http_problems_total',
    help: 'Requests refused or failed with a problem document, by route template and problem code.',
    labelNames: ['route', 'code'] as const,
    registers: r,
  });
  const rateLimited = new Counter({
    name: 'launchproof_rate_limit_refusals_total',
    help: 'Requests refused with 429 rate_limited, by route template.',
    labelNames: ['route'] as const,
    registers: r,
  });
  const issued = new Counter({
    name: 'launchproof_credentials_issued_total',
    help: 'Credentials issued (idempotent replays not counted), by format and tenant.',
    labelNames: ['format', 'tenant'] as const,
    registers: r,
  });
  const verified = new Counter({
    name: 'launchproof_verifications_total',
    help: 'Credential verifications, by outcome and the stable code of the first failed check (ok when verified).',
    labelNames: ['outcome', 'reason'] as const,
    registers: r,
  });
  const statusChanges = new Counter({
    name: 'launchproof_status_changes_total',
    help: 'Attestation status changes written, by the status changed to.',
    labelNames: ['to'] as const,
    registers: r,
  });
  const rotations = new Counter({
    name: 'launchproof_key_rotations_total',
    help: 'Signing-key rotations, by trigger (scheduled, requested, no_active_key after a revocation).',
    labelNames: ['trigger'] as const,
    registers: r,
  });
  const rotationFailures = new Counter({
    name: 'launchproof_key_rotation_failures_total',
    help: 'Scheduled rotations that failed for a tenant.',
    registers: r,
  });
  const signingFailures = new Counter({
    name: 'launchproof_signing_failures_total',
    help: 'Signatures that could not be made (no active key, or a key sealed under another KEK), by operation.',
    labelNames: ['operation'] as const,
    registers: r,
  });
  const publicationFailures = new Counter({
    name: 'launchproof_status_publication_failures_total',
    help: 'Status-list publications (after a change or in the sweep) that failed.',
    registers: r,
  });
  const webhookDeliveries = new Counter({
    name: 'launchproof_webhook_deliveries_total',
    help: 'Attempts to deliver a webhook event, by outcome (delivered: a 2xx answer).',
    labelNames: ['outcome'],
    registers: r,
  });
  const webhooksDisabled = new Counter({
    name: 'launchproof_webhook_endpoints_disabled_total',
    help: 'Webhook endpoints disabled after failing for days.',
    registers: r,
  });
  // Created with value 0 so a rate over them is 0, not absent, before the first event.
  for (const outcome of ['delivered', 'failed']) webhookDeliveries.labels(outcome).inc(0);
  webhooksDisabled.inc(0);
  signingFailures.labels('request').inc(0);
  signingFailures.labels('status_publication').inc(0);
  for (const trigger of ['scheduled', 'requested', 'no_active_key']) rotations.labels(trigger).inc(0);
  rotationFailures.inc(0);
  publicationFailures.inc(0);

  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: r });
  const storeUp = gauge('launchproof_store_up', '1 when the last scrape could read the store, 0 when it could not.');
  const kekOk = gauge('launchproof_kek_ok', '1 when every key that may sign is sealed under a KEK this process holds, else 0.');
  const foreignKek = gauge(
    'launchproof_signing_keys_sealed_under_other_kek',
    'Signing keys (active or waiting) sealed under a KEK this process does not hold.',
  );
  const withoutActive = gauge('launchproof_tenants_without_active_key', 'Tenants with no signing key able to sign now.');
  const keyAge = gauge('launchproof_signing_key_age_seconds', 'Age of the oldest signing (active) key across tenants, since activation.');
  const rotationDue = gauge(
    'launchproof_signing_key_rotation_due_seconds',
    'Seconds until the first signing key reaches its rotation period; negative when overdue.',
  );
  const listsBehind = gauge('launchproof_status_lists_behind', 'Status lists whose published copy does not cover every change yet.');
  const lag = gauge(
    'launchproof_status_list_publication_lag_seconds',
    'Seconds since the oldest status change no published status list covers yet; 0 when caught up.',
  );
  const poolSize = gauge('launchproof_db_pool_size', 'Database connections the pool may open (PGlite: 1).');
  const poolInUse = gauge('launchproof_db_pool_in_use', 'Database operations holding a connection now.');
  const poolWaiting = gauge('launchproof_db_pool_waiting', 'Database operations waiting for a connection now.');

  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const port: Metrics = {
    record(e: MetricEvent) {
      switch (e.kind) {
        case 'http_request': {
          const labels = { method: e.method, route: e.route, status: String(e.status) };
          requests.inc(labels);
          duration.observe(labels, e.seconds);
          return;
        }
        case 'answered_from_memory':
          return void fromMemory.inc({ route: e.route });
        case 'http_problem':
          return void problems.inc({ route: e.route, code: e.code });
        case 'rate_limited':
          return void rateLimited.inc({ route: e.route });
        case 'issued':
          return void issued.inc({ format: e.format, tenant: e.tenant });
        case 'verified':
          return void verified.inc({ outcome: e.outcome, reason: e.reason });
        case 'status_changed':
          return void statusChanges.inc({ to: e.to });
        case 'key_rotated':
          return void rotations.inc({ trigger: e.trigger });
        case 'key_rotation_failed':
          return void rotationFailures.inc();
        case 'signing_failed':
          return void signingFailures.inc({ operation: e.operation });
        case 'status_publication_failed':
          return void publicationFailures.inc();
        case 'webhook_delivery':
          return void webhookDeliveries.inc({ outcome: e.outcome });
        case 'webhook_disabled':
          return void webhooksDisabled.inc();
      }
    },
  };

  return {
    port,
    registry,
    /** Sets the store-derived gauges from one read; `undefined` means the read failed. */
    setOperational(g: OperationalGauges | undefined) {
      storeUp.set(g ? 1 : 0);
      if (!g) return;
      kekOk.set(g.keysSealedUnderOtherKek === 0 ? 1 : 0);
      foreignKek.set(g.keysSealedUnderOtherKek);
      withoutActive.set(g.tenantsWithoutActiveKey);
      keyAge.set(g.oldestActiveKeyAgeSeconds);
      // No signing key anywhere: "never due" (+Inf), not 0, which would read as "due now".
      rotationDue.set(g.nextRotationDueSeconds ?? Infinity);
      listsBehind.set(g.statusListsBehind);
      lag.set(g.statusPublicationLagSeconds);
    },
    setPool(p: { size: number; inUse: number; waiting: number }) {
      poolSize.set(p.size);
      poolInUse.set(p.inUse);
      poolWaiting.set(p.waiting);
    },
  };
}

export type PromMetrics = ReturnType<typeof createPromMetrics>;
