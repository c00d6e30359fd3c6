import { reminderDue, type ReminderDays } from '../evidence/reminders.ts';
import { lockDueExpiries, markReminded, tenantsWithDueReminders } from '../evidence/store.ts';
import { tenantsWithExpiringShares } from '../sharing/store.ts';
import type { Database, Queryable } from '../store/port.ts';
import { acrossTenants, withTenant } from '../store/tenant-scope.ts';
import { startTenantWork, type TenantWork } from '../store/tenant-work.ts';
import type { WebhookEvent } from '../webhooks/events.ts';
import { placeOutboxEvents } from '../webhooks/outbox.ts';
import { placeExpiryNotices, type NoticeSigningDeps } from './share-notices.ts';

// Here rather than in evidence/: it places webhook events (webhooks) for what evidence/ indexes.

export interface EvidenceReminderDeps {
  readonly db: Database;
  readonly now: () => Date;
  /** Signing the buyers' notices that a shared attestation nears its end, which the same sweep places. */
  readonly notices: NoticeSigningDeps;
}

/** Reminders placed in one transaction; a longer backlog (a sweep back after an outage) takes more runs. */
const REMINDERS_PER_RUN = 500;

/**
 * Places the tenant's due `evidence.expiring` events (issue 14) and records each as placed, in
 * one transaction: the rows are locked while it runs, so two sweeps (two instances, a Cron
 * Trigger beside a server) never place one reminder twice, and a crash places none it did not
 * record. A tenant without a webhook endpoint gets no event, but its reminders are recorded all
 * the same, so an endpoint registered later is not sent a backlog of stale reminders. Returns the
 * number of reminders recorded.
 */
export async function remindTenant(deps: EvidenceReminderDeps, tenantId: string): Promise<number> {
  let total = 0;
  for (;;) {
    const now = deps.now();
    const n = await withTenant(deps.db, tenantId, async (tx) => {
      const due = await lockDueExpiries(tx, tenantId, now, REMINDERS_PER_RUN);
      const placed = due.flatMap((e) => {
        const days = reminderDue(e.expiresAt, now, e.remindedDays);
        return days === undefined ? [] : [{ ...e, days }];
      });
      await placeOutboxEvents(tx, tenantId, () => placed.map((p) => expiringEvent(p, now)));
      await markReminded(tx, tenantId, placed);
      return { locked: due.length, placed: placed.length };
    });
    total += n.placed;
    // A full batch may have more behind it; one that placed nothing would only lock the same rows again.
    if (n.locked < REMINDERS_PER_RUN || n.placed === 0) break;
  }
  // Time passing also brings a shared attestation near its own end: its buyers are told too.
  return total + (await placeExpiryNotices(deps.notices, deps.db, tenantId));
}

function expiringEvent(
  p: { attestationId: string; control: string; uri: string; expiresAt: Date; days: ReminderDays },
  now: Date,
): WebhookEvent {
  return {
    type: 'evidence.expiring',
    attestationId: p.attestationId,
    logIndex: null,
    at: now,
    data: {
      attestation_id: p.attestationId,
      control: p.control,
      evidence: p.uri,
      expires_at: p.expiresAt.toISOString(),
      days_left: p.days,
    },
  };
}

/** Tenants with an evidence reminder or a buyer's expiry notice that may be due. */
async function dueTenants(tx: Queryable, now: Date): Promise<string[]> {
  return [...new Set([...(await tenantsWithDueReminders(tx, now)), ...(await tenantsWithExpiringShares(tx, now))])];
}

/**
 * How often a server looks for reminders due. They fall due with time, not with a change, so the
 * poll runs on the embedded database too; a minute is far finer than "30, 7 and 1 days" needs
 * and costs one indexed probe of the expiries within the next 30 days.
 */
export const EVIDENCE_REMINDER_POLL_MS = 60_000;

/** The sweep as a server runs it: on a timer, and once at start to catch up on time spent down. */
export function startEvidenceReminders(
  deps: EvidenceReminderDeps,
  onError: (tenantId: string, e: unknown) => void,
  pollMs = EVIDENCE_REMINDER_POLL_MS,
): TenantWork {
  return startTenantWork(deps.db, (tenantId) => remindTenant(deps, tenantId), {
    waiting: (tx) => dueTenants(tx, deps.now()),
    // Nothing a request commits makes a reminder due sooner than the timer finds it: a reminder
    // falls due with time alone (an issuance's expiries are at least a minute away, or refused).
    subscribe: () => () => {},
    pollMs,
    onError,
  });
}

/** A Cron Trigger's run: every tenant with a reminder due; logs nothing itself, answers the tenants that failed. */
export async function remindAllTenants(deps: EvidenceReminderDeps, onError: (tenantId: string, e: unknown) => void): Promise<number> {
  const tenants = await acrossTenants(deps.db, (tx) => dueTenants(tx, deps.now()));
  let failed = 0;
  for (const tenantId of tenants) {
    try {
      await remindTenant(deps, tenantId);
    } catch (e) {
      failed++;
      onError(tenantId, e);
    }
  }
  return failed;
}
