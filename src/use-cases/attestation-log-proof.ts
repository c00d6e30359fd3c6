import { requireAttestation } from '../attestations/store.ts';
import { AppError } from '../errors/index.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import type { Hash } from '../transparency/merkle.ts';
import { inclusionProofAt, logView, type LogView } from '../transparency/reader.ts';
import { entriesOfAttestation } from '../transparency/store.ts';

/*
 * What proves an attestation is in its tenant's log: its issuance entry and every status change
 * sequenced so far, each with its inclusion proof, all against the one latest checkpoint, so a
 * reader checks them with that checkpoint alone.
 */

export interface ProvedEntry {
  readonly index: number;
  /** The entry's exact text, whose leaf hash the proof starts from. */
  readonly body: string;
  readonly proof: readonly Hash[];
}

export interface AttestationLogProof {
  readonly view: LogView;
  readonly issued: ProvedEntry;
  readonly statusChanges: readonly ProvedEntry[];
}

/**
 * The attestation's entries proved against the latest checkpoint. attestation_not_found for no
 * such attestation; log_entry_pending while its issuance entry is committed but not sequenced
 * (or sequenced after the checkpoint read); log_entry_not_found for one issued before the log.
 */
export function attestationLogProof(db: Database, tenantId: string, attestationId: string): Promise<AttestationLogProof> {
  return withTenant(db, tenantId, async (tx) => {
    await requireAttestation(tx, tenantId, attestationId);
    // Entries before the head: each statement sees what was committed when it started, and the
    // sequencer commits indexes and head together, so a head read after the entries covers every
    // index they show. The filter below still keeps a proof from naming a tree it does not have.
    const { entries, pending } = await entriesOfAttestation(tx, tenantId, attestationId);
    const view = await logView(tx, tenantId);
    const inView = entries.filter((e) => view !== undefined && e.index < view.head.size);
    const issued = inView.find((e) => e.type === 'attestation.issued');
    if (!view || !issued) {
      if (pending > 0 || entries.length > 0) throw new AppError('log_entry_pending', `attestation ${attestationId} is not sequenced yet`);
      throw new AppError('log_entry_not_found', `attestation ${attestationId} has no log entry (issued before the log)`);
    }
    const prove = async (e: { index: number; body: string }): Promise<ProvedEntry> => ({
      index: e.index,
      body: e.body,
      proof: await inclusionProofAt(tx, tenantId, view, e.index),
    });
    // One after another: statements of one transaction go down one connection anyway.
    const statusChanges: ProvedEntry[] = [];
    for (const e of inView) if (e.type === 'status.changed') statusChanges.push(await prove(e));
    return { view, issued: await prove(issued), statusChanges };
  });
}
