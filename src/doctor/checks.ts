import type { Config } from '../config/index.ts';
import { mismatchMessage } from '../deployment/origin.ts';
import { readDeployment } from '../deployment/store.ts';
import { kekFor, openPrivateJwk, type KeyEncryptionKey } from '../keys/key-crypto.ts';
import { allSealedKeys } from '../keys/key-store.ts';
import { logSealName } from '../keys/log-key.ts';
import { webhookSecretName } from '../webhooks/secrets.ts';
import { sealedWebhookSecrets } from '../webhooks/store.ts';
import { migrationStatus, type MigrationRecord } from '../store/migration-state.ts';
import type { Database } from '../store/port.ts';
import { connectingRole } from '../store/connecting-role.ts';
import { acrossTenants, TENANT_ROLE } from '../store/tenant-scope.ts';
import type { FetchJson } from '../verify/remote/safe-fetch.ts';
import { databaseClock, tableExists, tenantRoleReach, tenantTableSecurity } from './store.ts';
import { trustedIssuerProblem } from './trusted-issuers.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface DoctorDeps {
  readonly db: Database;
  readonly config: Config;
  /** Undefined when no KEK is configured (and, in development, none was generated yet). */
  readonly kek: KeyEncryptionKey | undefined;
  /** Where the KEK came from, for the report: a variable name or a file path, never the value. */
  readonly kekSource: string;
  readonly migrations: readonly MigrationRecord[];
  readonly clock: () => Date;
  /** The verifier's safe fetch: trusted issuers are resolved exactly as verification resolves them. */
  readonly fetchJson: FetchJson;
}

/**
 * Beyond this the two clocks disagree: NTP keeps servers within milliseconds of each other, so
 * seconds of difference mean one host is not synchronised, and a drifting clock would reach the
 * verifiers' tolerance (VERIFY_CLOCK_SKEW_SECONDS, 60 s by default) without anyone noticing.
 */
export const CLOCK_LIMIT_SECONDS = 5;

const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
const warn = (name: string, detail: string): CheckResult => ({ name, status: 'warn', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });

async function migrationsCheck(d: DoctorDeps): Promise<CheckResult> {
  const s = await migrationStatus(d.db, d.migrations);
  if (!s.initialised) return fail('migrations', 'the database has no schema: run `launchproof migrate` (or `init`)');
  if (s.problems.length > 0) return fail('migrations', s.problems.join('; '));
  if (s.pending.length > 0)
    return fail(
      'migrations',
      `${s.pending.length} pending (${s.pending.map((f) => `${String(f.version).padStart(4, '0')}_${f.name}`).join(', ')}): run \`launchproof migrate\``,
    );
  return ok('migrations', `current: ${s.applied} applied, matching the files`);
}

async function originCheck(d: DoctorDeps): Promise<CheckResult> {
  if (!(await tableExists(d.db, 'deployment')))
    return fail('origin', 'no origin recorded: the deployment table is missing (migration pending)');
  const { origin } = await readDeployment(d.db);
  const ours = d.config.publicUrl.origin;
  if (origin === null) return fail('origin', `no origin recorded yet: run \`launchproof init\` with PUBLIC_URL=${ours}`);
  if (origin !== ours) return fail('origin', mismatchMessage(origin, ours));
  return ok('origin', `PUBLIC_URL matches the recorded origin ${origin}`);
}

async function kekCheck(d: DoctorDeps): Promise<CheckResult> {
  if (!d.kek) return fail('key-encryption key', `none configured (${d.kekSource}): set KEY_ENCRYPTION_KEY`);
  // Signing keys, log keys and webhook secrets: each is opened with the name its seal is bound to.
  const keys = await acrossTenants(d.db, async (tx) => [
    ...(await allSealedKeys(tx)).map((k) => ({ ...k, sealName: k.kind === 'log' ? logSealName(k.kid) : k.kid })),
    ...(await sealedWebhookSecrets(tx)).map((w) => ({ ...w, kid: `webhook ${w.id}`, sealName: webhookSecretName(w.id) })),
  ]);
  const unopened: typeof keys = [];
  let underPrevious = 0;
  for (const k of keys) {
    const opener = kekFor(d.kek, k.kekId);
    if (opener && opener !== d.kek) underPrevious++;
    try {
      if (!opener) throw new Error('not held');
      await openPrivateJwk(opener, k.tenantId, k.sealName, k.sealed);
    } catch {
      unopened.push(k);
    }
  }
  const ids = (list: typeof keys) => [...new Set(list.map((k) => k.kekId))].join(', ');
  const signing = unopened.filter((k) => k.mayStillSign);
  const held = `KEK ${d.kek.id} (${d.kekSource})`;
  if (signing.length > 0)
    return fail(
      'key-encryption key',
      `${held} cannot open ${signing.length} of ${keys.length} keys that may still sign (tenants ${[...new Set(signing.map((k) => k.tenantId))].join(', ')}; sealed under KEK ${ids(signing)}): wrong KEY_ENCRYPTION_KEY?`,
    );
  if (unopened.length > 0)
    return warn(
      'key-encryption key',
      `${held} opens every key that may sign; ${unopened.length} retired or revoked keys stay sealed under KEK ${ids(unopened)}, which this deployment no longer holds`,
    );
  if (underPrevious > 0)
    return warn(
      'key-encryption key',
      `${held} opens all ${keys.length} keys, ${underPrevious} of them with KEY_ENCRYPTION_KEY_PREVIOUS: finish with \`launchproof kek rotate\``,
    );
  return ok('key-encryption key', `${held} opens all ${keys.length} keys`);
}

async function roleCheck(d: DoctorDeps): Promise<CheckResult> {
  const role = await connectingRole(d.db);
  const tenantRole = await tenantRoleReach(d.db);
  // Roles belong to the cluster: a database restored onto a new one arrives without it, and
  // its migration is already recorded, so `migrate` would not make it again.
  if (!tenantRole.exists)
    return fail(
      'database role',
      `the role ${TENANT_ROLE} is missing (restored onto a new cluster?): a superuser runs CREATE ROLE ${TENANT_ROLE} NOLOGIN; GRANT ${TENANT_ROLE} TO ${role.name}; before the restore, whose dump carries the role's grants (README "Database roles")`,
    );
  if (!tenantRole.member)
    return fail(
      'database role',
      `${role.name} cannot switch to ${TENANT_ROLE}, which every tenant transaction runs as: GRANT ${TENANT_ROLE} TO ${role.name} (README "Database roles")`,
    );
  // PGlite is always its own superuser; the tenant role is what row-level security binds there.
  if (d.db.engine === 'pglite')
    return ok(
      'database role',
      `embedded database (its own superuser, as whoever holds its files is); tenant transactions run as ${TENANT_ROLE}`,
    );
  if (role.superuser || role.bypassRls)
    return fail(
      'database role',
      `${role.name} is ${role.superuser ? 'a superuser' : 'allowed BYPASSRLS'}: row-level security does not bind it; connect as an unprivileged role`,
    );
  return ok(
    'database role',
    `${role.name} is not a superuser and cannot bypass row-level security; tenant transactions run as ${TENANT_ROLE}`,
  );
}

async function rlsCheck(d: DoctorDeps): Promise<CheckResult> {
  const tables = await tenantTableSecurity(d.db);
  const weak = tables.filter((t) => !t.enabled || !t.forced).map((t) => t.table);
  if (tables.length === 0) return fail('row-level security', 'no tenant tables found (schema missing?)');
  if (weak.length > 0) return fail('row-level security', `not enabled and forced on ${weak.join(', ')}`);
  return ok('row-level security', `enabled and forced on all ${tables.length} tenant tables`);
}

async function clockCheck(d: DoctorDeps): Promise<CheckResult> {
  const before = d.clock().getTime();
  const theirs = (await databaseClock(d.db)).getTime();
  const after = d.clock().getTime();
  // The database read its clock somewhere within the round trip: judge against its middle, and forgive half of it.
  const offset = (theirs - (before + after) / 2) / 1000;
  const uncertainty = (after - before) / 2000;
  const shown = `${offset >= 0 ? '+' : ''}${offset.toFixed(3)} s`;
  if (Math.abs(offset) - uncertainty > CLOCK_LIMIT_SECONDS)
    return fail('clock', `this host and the database disagree by ${shown} (limit ${CLOCK_LIMIT_SECONDS} s): synchronise both with NTP`);
  return ok('clock', `within ${CLOCK_LIMIT_SECONDS} s of the database's (${shown})`);
}

async function trustedIssuersCheck(d: DoctorDeps): Promise<CheckResult> {
  const issuers = d.config.trustedIssuers;
  if (issuers.length === 0)
    return ok('trusted issuers', "none configured (TRUSTED_ISSUERS): only this deployment's own issuers are trusted");
  const problems: string[] = [];
  for (const issuer of issuers) {
    const problem = await trustedIssuerProblem(d.fetchJson, issuer);
    if (problem) problems.push(`${issuer}: ${problem}`);
  }
  if (problems.length > 0) return fail('trusted issuers', `${problems.length} of ${issuers.length} do not resolve: ${problems.join('; ')}`);
  return ok('trusted issuers', `all ${issuers.length} resolve`);
}

const CHECKS: readonly [string, (d: DoctorDeps) => Promise<CheckResult>][] = [
  ['migrations', migrationsCheck],
  ['origin', originCheck],
  ['key-encryption key', kekCheck],
  ['database role', roleCheck],
  ['row-level security', rlsCheck],
  ['clock', clockCheck],
  ['trusted issuers', trustedIssuersCheck],
];

/**
 * Every check, in order, each on its own: one that throws (a table a pending migration has not
 * made yet) is reported as failed with the reason, and the others still run. Reads only.
 */
export async function runDoctor(d: DoctorDeps): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [name, check] of CHECKS) {
    try {
      results.push(await check(d));
    } catch (e) {
      results.push(fail(name, `could not check: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
  return results;
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** One line a check: mark, name, reason; then a verdict line. */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => `${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`);
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push('', failed === 0 ? 'doctor: ready to serve' : `doctor: ${failed} check(s) failed`);
  return `${lines.join('\n')}\n`;
}

export function doctorPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}
