/**
 * The metrics port. The core reports what happened as typed events and never names a metrics
 * library: prom-client is Node-only, so the Node runtime implements this port with it, and a
 * Workers isolate (short-lived, one of many, nothing to scrape) gets `noMetrics`.
 *
 * Labels are chosen for bounded cardinality: routes are templates, never raw paths (raw paths
 * carry share tokens and offer references); a tenant appears only on issuances, because tenants
 * are operator-created and few.
 */
export type MetricEvent =
  | {
      readonly kind: 'http_request';
      readonly method: string;
      /** The matched route template (`/t/:tenant/jwks.json`), or `unmatched`. */
      readonly route: string;
      readonly status: number;
      readonly seconds: number;
    }
  /** A public GET answered from memory before routing (http/hot-paths.ts); also counted as an http_request. */
  | { readonly kind: 'answered_from_memory'; readonly route: string }
  | { readonly kind: 'http_problem'; readonly code: string; readonly route: string }
  | { readonly kind: 'rate_limited'; readonly route: string }
  | { readonly kind: 'issued'; readonly format: string; readonly tenant: string }
  | { readonly kind: 'verified'; readonly outcome: 'verified' | 'not_verified'; readonly reason: string }
  | { readonly kind: 'status_changed'; readonly to: string }
  | { readonly kind: 'key_rotated'; readonly trigger: 'scheduled' | 'requested' | 'no_active_key' }
  | { readonly kind: 'key_rotation_failed' }
  /** A signing key could not be opened or there was none: `operation` says what could not be signed. */
  | { readonly kind: 'signing_failed'; readonly operation: 'request' | 'status_publication' }
  | { readonly kind: 'status_publication_failed' }
  /** One attempt to deliver a webhook event: answered 2xx, or not. */
  | { readonly kind: 'webhook_delivery'; readonly outcome: 'delivered' | 'failed' }
  /** An endpoint disabled after failing for days (webhooks). */
  | { readonly kind: 'webhook_disabled' };

export interface Metrics {
  record(event: MetricEvent): void;
}

/** What a runtime without a scrape target gets (Workers), and what tests get unless they ask. */
export const noMetrics: Metrics = Object.freeze({ record: () => undefined });
