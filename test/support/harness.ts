import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { createApp } from '../../src/http/app.ts';
import type { Metrics } from '../../src/metrics/port.ts';
import type { Projection } from '../../src/projection/projection.ts';
import type { FetchLike } from '../../src/auth/oidc.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { migrationRecords } from '../../src/store/migration-state.ts';
import type { Database } from '../../src/store/port.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import type { WebAssets } from '../../src/web/assets.ts';
import { sequenceTenant } from '../../src/transparency/sequencer.ts';
import { startSequencing, type Sequencing } from '../../src/transparency/sequencing.ts';
import { logSequencerDeps } from '../../src/use-cases/log-sequencer.ts';
import { startExportBuilding } from '../../src/use-cases/audit-export-builder.ts';
import type { TenantWork } from '../../src/store/tenant-work.ts';

export const ORIGIN = 'https://issuer.test';

let webAssets: WebAssets | undefined;
/** The browser build global setup made for this run, read once per test file. */
export function testWebAssets(): WebAssets {
  webAssets ??= { verifyScript: readFileSync(inject('webAssetsPath'), 'utf8') };
  return webAssets;
}

/** A clock the test moves by hand. */
export function fixedClock(start = new Date('2026-01-01T00:00:00Z')) {
  let now = start.getTime();
  const clock = () => new Date(now);
  clock.advanceDays = (days: number) => {
    now += days * 86_400_000;
  };
  clock.set = (d: Date) => {
    now = d.getTime();
  };
  return clock;
}

export interface Harness {
  readonly db: Database;
  readonly config: Config;
  readonly kek: KeyEncryptionKey;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly adminToken: string;
  readonly logLines: string[];
  readonly app: ReturnType<typeof createApp>;
  /** Bindings for calling `app.fetch` directly, as the Node entry passes them. */
  readonly bindings: { db: Database };
  /** The tenant logs' sequencer, running as a Node server runs it (on its own commits). */
  readonly sequencing: Sequencing;
  /** Resolves once the sequencer has sequenced everything committed so far. */
  settleLog(): Promise<void>;
  /** The audit-export builder, running as a Node server runs it (after the commit of each request). */
  readonly exports: TenantWork;
  /** Resolves once every audit export asked for so far is built (or has failed). */
  settleExports(): Promise<void>;
  request(method: string, path: string, init?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
}

/**
 * The real app over a real database, with a fixed clock and captured log lines. Requests go
 * through app.fetch exactly as the Node and Workers entry points send them.
 */
export async function harness(
  db: Database,
  options: {
    env?: Record<string, string>;
    fetch?: FetchLike;
    clock?: ReturnType<typeof fixedClock>;
    metrics?: Metrics;
    /** The app's read model, where a test sets its freshness mode (createApp makes an on-read one otherwise). */
    projection?: Projection;
  } = {},
): Promise<Harness> {
  // Rate limits out of the way (the test clock stands still, so a window never turns), except
  // where a test sets its own.
  const unlimited = {
    RATE_LIMIT_OPERATOR_PER_MINUTE: '1000000',
    RATE_LIMIT_ISSUANCE_PER_MINUTE: '1000000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
  };
  const config = parseConfig({ LAUNCHPROOF_ENV: 'test', PUBLIC_URL: ORIGIN, ...unlimited, ...options.env });
  const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  const clock = options.clock ?? fixedClock();
  const logLines: string[] = [];
  const log = createJsonLogger('debug', (l) => logLines.push(l));
  const outcome = await bootstrap({ db, kek, now: clock() }, { demoTenant: false });
  if (!outcome.adminToken) throw new TypeError('harness expects a database without API keys');
  const fetchImpl: FetchLike = options.fetch ?? (() => Promise.reject(new Error('no network in tests')));
  const migrations = await migrationRecords(await loadMigrations());
  const logDeps = logSequencerDeps(db, kek, config.publicUrl, clock);
  const app = createApp({
    config,
    kek,
    clock,
    log,
    fetch: fetchImpl,
    webAssets: testWebAssets(),
    migrations,
    logSequencer: () => logDeps,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.projection ? { projection: options.projection } : {}),
  });
  const bindings = { db };
  const sequencing = startSequencing(db, (tenantId) => sequenceTenant(logDeps, tenantId), {
    pollMs: false,
    onError: (tenantId, e) =>
      log.error('sequencing the log failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
  });
  const exports = startExportBuilding(
    { db, sequencer: logDeps, now: clock },
    {
      pollMs: false,
      onError: (tenantId, e) =>
        log.error('building an audit export failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
    },
  );
  return {
    sequencing,
    exports,
    settleExports: async () => {
      await exports.settled();
      await exports.sweep();
      await exports.settled();
    },
    settleLog: async () => {
      await sequencing.settled();
      await sequencing.sweep();
      await sequencing.settled();
    },
    db,
    config,
    kek,
    clock,
    adminToken: outcome.adminToken,
    logLines,
    app,
    bindings,
    request: (method, path, init = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return Promise.resolve(app.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body }), bindings));
    },
  };
}
