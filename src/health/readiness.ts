import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { keysTheKekCannotOpen } from '../keys/kek-check.ts';
import { migrationDrift, type MigrationRecord } from '../store/migration-state.ts';
import type { Database } from '../store/port.ts';

export const READINESS_CHECKS = ['database', 'migrations', 'kek'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];
/** `skipped`: not run, because a check it depends on failed first. */
export type CheckOutcome = 'ok' | 'failed' | 'skipped';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<ReadinessCheck, CheckOutcome>>;
  /** Why each failed check failed, for the log only: never on the wire. */
  readonly reasons: readonly string[];
}

/**
 * Opening every signing key costs one query and one AES-GCM decryption per key that may still
 * sign: cheap, but a probe polled every few seconds across many tenants should not repeat it
 * each time. The answer is kept this long (by the app's clock); the database and migration
 * checks, one small query each, run on every probe.
 */
export const KEK_CHECK_REUSE_MS = 30_000;

export interface ReadinessDeps {
  readonly kek: KeyEncryptionKey;
  /** What this code expects the schema to be; absent, the migrations check fails (it cannot tell). */
  readonly migrations: readonly MigrationRecord[] | undefined;
  readonly clock: () => Date;
}

/** A readiness probe with its own KEK-check memory; one per app. */
export function readinessProbe(deps: ReadinessDeps): (db: Database) => Promise<Readiness> {
  let kekAnswer: { at: number; unopened: number } | undefined;

  async function kekUnopened(db: Database): Promise<number> {
    const now = deps.clock().getTime();
    if (kekAnswer && now - kekAnswer.at >= 0 && now - kekAnswer.at < KEK_CHECK_REUSE_MS) return kekAnswer.unopened;
    const unopened = (await keysTheKekCannotOpen(db, deps.kek)).length;
    kekAnswer = { at: now, unopened };
    return unopened;
  }

  return async (db) => {
    const checks: Record<ReadinessCheck, CheckOutcome> = { database: 'skipped', migrations: 'skipped', kek: 'skipped' };
    const reasons: string[] = [];
    const done = () => ({ ready: READINESS_CHECKS.every((c) => checks[c] === 'ok'), checks, reasons });

    try {
      await db.query('select 1');
      checks.database = 'ok';
    } catch (e) {
      checks.database = 'failed';
      reasons.push(`database: ${e instanceof Error ? e.message : String(e)}`);
      return done();
    }

    try {
      const drift = deps.migrations ? await migrationDrift(db, deps.migrations) : ['the expected migrations are unknown to this build'];
      checks.migrations = drift.length === 0 ? 'ok' : 'failed';
      reasons.push(...drift.map((d) => `migrations: ${d}`));
    } catch (e) {
      checks.migrations = 'failed';
      reasons.push(`migrations: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Which keys exist is only known under the schema this code expects.
    if (checks.migrations !== 'ok') return done();

    try {
      const unopened = await kekUnopened(db);
      checks.kek = unopened === 0 ? 'ok' : 'failed';
      if (unopened > 0)
        reasons.push(`kek: ${unopened} signing key(s) that may still sign do not open with key-encryption key ${deps.kek.id}`);
    } catch (e) {
      checks.kek = 'failed';
      reasons.push(`kek: ${e instanceof Error ? e.message : String(e)}`);
    }
    return done();
  };
}
