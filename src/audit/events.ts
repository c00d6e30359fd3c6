import type { Queryable } from '../store/port.ts';

/** Who did something: an API key id, an identity-provider subject, or the service itself. */
export type Actor = string;

export const SYSTEM_ACTOR: Actor = 'system';

/** Appends one audit event in the caller's transaction, so it lands with the change or not at all. */
export async function recordEvent(
  tx: Queryable,
  e: { tenantId: string; at: Date; actor: Actor; action: string; target?: string; detail?: Record<string, unknown> },
): Promise<void> {
  await tx.query('insert into audit_events (tenant_id, at, actor, action, target, detail) values ($1, $2, $3, $4, $5, $6)', [
    e.tenantId,
    e.at,
    e.actor,
    e.action,
    e.target ?? '',
    e.detail ?? {},
  ]);
}
