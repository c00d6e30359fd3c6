import type { LogEvent } from '../transparency/entries.ts';
import type { IndexedEntry } from './bundle-log.ts';
import type { StatusValue } from './result.ts';

type Issued = Extract<LogEvent, { type: 'attestation.issued' }>;

/** An attestation's status as the log alone says it, and the entry that set it. */
export interface LogStatus {
  readonly value: StatusValue;
  /** The entry that set it: the issuance (valid from then), or the last status change. */
  readonly index: number;
  readonly at: string;
}

/** The issuance entry of `attestation`, if the log holds one. */
export function issuanceOf(entries: readonly IndexedEntry[], attestation: string): (IndexedEntry & { event: Issued }) | undefined {
  for (const e of entries)
    if (e.entry.event.type === 'attestation.issued' && e.entry.event.attestation === attestation) return { ...e, event: e.entry.event };
  return undefined;
}

/**
 * The attestation's status at `at` (every change up to and including it), from the log alone: its
 * issuance makes it valid, each `status.changed` entry sets what it names, in log order (the order
 * the issuer committed them, which is the order that counts). Undefined when the log holds no
 * issuance of it, or when it was issued after `at`.
 */
export function statusFromLog(entries: readonly IndexedEntry[], attestation: string, at?: Date): LogStatus | undefined {
  const limit = at?.getTime() ?? Infinity;
  const issued = issuanceOf(entries, attestation);
  if (!issued || Date.parse(issued.entry.at) > limit) return undefined;
  let status: LogStatus = { value: 'valid', index: issued.index, at: issued.entry.at };
  for (const e of entries) {
    const event = e.entry.event;
    if (e.index <= issued.index || event.type !== 'status.changed' || event.attestation !== attestation) continue;
    if (Date.parse(e.entry.at) > limit) continue;
    status = { value: event.to, index: e.index, at: e.entry.at };
  }
  return status;
}

/** What an entry is about, in a few words, for a listing of entries. */
export function entrySummary(e: IndexedEntry): string {
  const event = e.entry.event;
  switch (event.type) {
    case 'attestation.issued':
      return `attestation ${event.attestation} issued (${event.credentials.map((c) => c.format).join(', ')}; profile ${event.profile.id}@${event.profile.version}; key ${event.kid})${event.supersedes ? `, superseding ${event.supersedes}` : ''}`;
    case 'status.changed':
      return `attestation ${event.attestation} ${event.from} -> ${event.to}${event.reason ? ` (${event.reason})` : ''}`;
    case 'profile.published':
      return `profile ${event.id}@${event.version} published`;
    default:
      return `key ${event.kid} ${event.type.slice('key.'.length)}${event.reason ? ` (${event.reason})` : ''}`;
  }
}
