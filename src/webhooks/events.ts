import type { LogEntry } from '../transparency/entries.ts';
import type { NoticeType } from './notices.ts';

/*
 * What a webhook tells (docs/webhooks.md, Events): the events a tenant's log records that a
 * subscriber acts on, each with the log index of the entry it comes from, so a receiver can
 * prove it against the tenant's checkpoint. Derived from the entry's bytes alone, so every
 * instance places the same events for the same entries. Beside them, events no log entry
 * records (an offer redeemed), built by the change that raises them and placed in its transaction.
 */

export const WEBHOOK_EVENT_TYPES = [
  'attestation.issued',
  'attestation.status_changed',
  'attestation.superseded',
  'key.rotated',
  'key.revoked',
  'offer.redeemed',
  /** Evidence a live attestation relies on expires in 30, 7 or 1 days; placed by the evidence sweep, no log entry records it. */
  'evidence.expiring',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An event as the outbox keeps it: its type, what it is about, and the message's `data`. */
export interface WebhookEvent {
  /** Its id (the message's webhook-id), where the event's content names it; the database makes one otherwise. */
  readonly id?: string;
  readonly type: WebhookEventType | NoticeType;
  readonly attestationId: string | null;
  /** The log entry it comes from; null for an event no entry records (an offer redeemed, evidence nearing its end). */
  readonly logIndex: number | null;
  readonly at: Date;
  readonly data: Record<string, unknown>;
  /** A buyer's notice: the JWS of its content, signed by the tenant's key. */
  readonly notice?: string | null;
}

/** The events of one sequenced log entry (none for an entry no subscriber acts on). */
export function eventsOfEntry(index: number, { at, event }: LogEntry): WebhookEvent[] {
  const when = new Date(at);
  const of = (type: WebhookEventType, attestationId: string | null, data: Record<string, unknown>): WebhookEvent => ({
    type,
    attestationId,
    logIndex: index,
    at: when,
    data: { ...data, log_index: index },
  });
  switch (event.type) {
    case 'attestation.issued': {
      const issued = of('attestation.issued', event.attestation, {
        attestation_id: event.attestation,
        credentials: event.credentials.map((c) => ({ id: c.id, format: c.format })),
        profile: { id: event.profile.id, version: event.profile.version },
        valid_from: event.valid_from,
        valid_until: event.valid_until,
        kid: event.kid,
        ...(event.supersedes ? { supersedes: event.supersedes } : {}),
      });
      if (!event.supersedes) return [issued];
      return [
        issued,
        of('attestation.superseded', event.supersedes, { attestation_id: event.supersedes, superseded_by: event.attestation }),
      ];
    }
    case 'status.changed':
      return [
        of('attestation.status_changed', event.attestation, {
          attestation_id: event.attestation,
          from: event.from,
          to: event.to,
          ...(event.reason ? { reason: event.reason } : {}),
        }),
      ];
    case 'key.activated':
      return [of('key.rotated', null, { kid: event.kid })];
    case 'key.revoked':
      return [of('key.revoked', null, { kid: event.kid, ...(event.reason ? { reason: event.reason } : {}) })];
    default:
      return [];
  }
}

/** What offerRedeemedEvent is told: the offer, and the attestation and credentials it just delivered. */
export interface OfferRedemption {
  readonly offerId: string;
  readonly attestationId: string;
  readonly credentials: readonly { readonly id: string; readonly format: string }[];
  readonly at: Date;
}

/**
 * A wallet obtained a credential through one of the tenant's offers. No log entry records an
 * offer (the attestation it delivers has its own entry, and its own attestation.issued), so the
 * event has no log index. It names only what the tenant already holds: nothing of the wallet,
 * not its key, not its address.
 */
export function offerRedeemedEvent(r: OfferRedemption): WebhookEvent {
  return {
    type: 'offer.redeemed',
    attestationId: r.attestationId,
    logIndex: null,
    at: r.at,
    data: {
      offer_id: r.offerId,
      attestation_id: r.attestationId,
      credentials: r.credentials.map((c) => ({ id: c.id, format: c.format })),
      redeemed_at: r.at.toISOString(),
    },
  };
}
