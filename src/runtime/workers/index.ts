import { ConfigError, parseConfig, type Config } from '../../config/index.ts';
import { createApp } from '../../http/app.ts';
import { importKeyEncryptionKey, withPreviousKek, type KeyEncryptionKey } from '../../keys/key-crypto.ts';
import { rotateDueKeys } from '../../keys/sweep.ts';
import { republishStaleLists } from '../../status/sweep.ts';
import { createJsonLogger, type Logger } from '../../log/logger.ts';
import { ensureOrigin } from '../../deployment/origin.ts';
import { guardConnectingRole } from '../../store/connecting-role.ts';
import type { Database } from '../../store/port.ts';
import { openPostgres } from '../postgres/database.ts';
import { onCommittedLogAppend } from '../../store/publication-changes.ts';
import { acrossTenants } from '../../store/tenant-scope.ts';
import { sequenceTenant, type SequencerDeps } from '../../transparency/sequencer.ts';
import { tenantsWithPending } from '../../transparency/store.ts';
import { dispatchWebhooks } from '../../use-cases/webhook-dispatch.ts';
import { remindAllTenants } from '../../use-cases/evidence-reminders.ts';
import { webhookSender } from '../../webhooks/http-sender.ts';
import { tenantsWithDueWebhooks } from '../../webhooks/store.ts';
import { logSequencerFor } from '../../use-cases/log-sequencer.ts';
import { buildWaitingExports, dropExpiredExports } from '../../use-cases/audit-export-builder.ts';
import type { Env } from './env.ts';
import { startFailureResponse } from './start-failure.ts';
import verifyScript from '../../../dist/web/verify-script.js';
import migrations from '../../../dist/migrations/manifest.js';

/*
 * The Cloudflare Workers entry. It never migrates or bootstraps: an isolate may start on any
 * request and many run at once, so schema changes stay a deliberate operator step. Before
 * deploying, operators run `npx launchproof init` (migrations, the platform identity, and the
 * first admin key, printed once) with DATABASE_URL pointing at the database Hyperdrive fronts
 * and the same KEY_ENCRYPTION_KEY.
 */

interface Isolate {
  readonly config: Config;
  readonly app: ReturnType<typeof createApp>;
  readonly kek: KeyEncryptionKey;
  readonly log: Logger;
  readonly origin: URL;
  /** The log keys this isolate has opened, kept across its requests. */
  /** The isolate's log sequencer on a request's connection: one log signer for the sequencing after each request, the Cron Trigger and the trust bundle's catch-up. */
  readonly logSequencer: (db: Database) => SequencerDeps;
}

// Configuration is fixed for the life of an isolate, so a refusal is cached as well as success.
let isolate: Promise<Isolate> | undefined;

const stderr = createJsonLogger('error', (line) => console.error(line));

async function build(env: Env): Promise<Isolate> {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const config = parseConfig(vars);
  // Node may generate a KEK into its data directory; a Worker has no disk to keep one on.
  if (!config.keyEncryptionKey)
    throw new ConfigError(['KEY_ENCRYPTION_KEY: required on Workers (set it with `wrangler secret put KEY_ENCRYPTION_KEY`)']);
  const current = await importKeyEncryptionKey(config.keyEncryptionKey);
  // During a KEK rotation the Worker opens keys under either KEK while `kek rotate` re-seals them.
  const kek = config.previousKeyEncryptionKey
    ? withPreviousKek(current, await importKeyEncryptionKey(config.previousKeyEncryptionKey))
    : current;
  const log = createJsonLogger(config.logLevel);
  const logSequencer = logSequencerFor(kek, config.publicUrl, () => new Date());
  const app = createApp({
    config,
    kek,
    clock: () => new Date(),
    log,
    // No `outbound`: a Worker has no DNS API, so no edge here can pin a checked address, and URLs
    // a caller names go through this fetch as a plain edge (outbound/guarded-request.ts): refused
    // when they write a non-public address or a local name, not when a name resolves to one. The
    // request leaves from Cloudflare's network, not from a host inside the operator's network;
    // a private network is reached only through bindings the operator sets up (Workers VPC,
    // Tunnels), and this code holds none.
    fetch: (input, init) => fetch(input, init),
    webAssets: { verifyScript },
    migrations,
    logSequencer,
  });
  return { config, app, kek, log, origin: config.publicUrl, logSequencer };
}

function load(env: Env): Promise<Isolate> {
  isolate ??= build(env);
  return isolate;
}

// A plain flag, not a shared promise: a promise settled by one request's I/O must not be awaited
// by another request, and a check that failed (the origin was fixed meanwhile) is retried.
let originConfirmed = false;

/**
 * Refuses to serve or sign when PUBLIC_URL is not the deployment's recorded origin (recording
 * it if none is yet: a serving process's origin is the deployment's). One query per isolate.
 */
async function confirmOrigin(started: Isolate, db: Database): Promise<void> {
  if (originConfirmed) return;
  await ensureOrigin(db, started.origin, 'record', new Date());
  originConfirmed = true;
}

// The connecting role is checked on an isolate's first database connection (an isolate has none
// before a request), with a plain flag for the same reason as the origin. A refusal is thrown on
// every request until the deployment is fixed; a check the database did not answer is tried
// again by the next request, which meets the same database error on its own.
let roleConfirmed = false;

async function guardRole(started: Isolate, db: Database): Promise<void> {
  if (roleConfirmed) return;
  try {
    await guardConnectingRole(db, started.config.environment, started.log);
    roleConfirmed = true;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
  }
}

function reportStartFailure(e: unknown): void {
  // The detail names the bad variables (never their values): it belongs in the log, not on the wire.
  if (e instanceof ConfigError) stderr.error('configuration refused', { detail: e.message });
  else stderr.error('start failed', { error: e instanceof Error ? e.name : typeof e, detail: e instanceof Error ? e.message : String(e) });
}

// One connection per invocation: Workers forbid I/O objects from outliving the request that
// created them, and Hyperdrive does the pooling behind the binding.
function openDatabase(env: Env): Database {
  return openPostgres(env.HYPERDRIVE.connectionString, { max: 1 });
}

const sequencerDeps = (started: Isolate, db: Database): SequencerDeps => started.logSequencer(db);

/**
 * Sequences the tenants' logs, one after the other, logging (not throwing) a failure: an entry
 * left unsequenced is taken by the next request of its tenant or the next Cron Trigger.
 */
async function sequence(started: Isolate, db: Database, tenants: Iterable<string>): Promise<number> {
  let failed = 0;
  for (const tenantId of tenants) {
    try {
      await sequenceTenant(sequencerDeps(started, db), tenantId);
    } catch (e) {
      failed++;
      started.log.error('sequencing the log failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return failed;
}

/**
 * A Cron Trigger's share of webhook deliveries: the run stops taking new events after this long,
 * well inside the wall time a scheduled Worker is given; the next run goes on where it stopped.
 */
const WEBHOOK_BUDGET_MS = 20_000;

/**
 * Delivers what is due to every tenant's endpoints within the run's budget, the tenants in a new
 * order each run so that none waits behind the same others every time; logs (does not throw)
 * each tenant's failure and answers the number that failed.
 */
async function dispatchDueWebhooks(started: Isolate, db: Database): Promise<number> {
  const now = new Date();
  const until = Date.now() + WEBHOOK_BUDGET_MS;
  const send = webhookSender((request) => fetch(request), { allowLocal: started.config.webhooksAllowLocal });
  const tenants = await acrossTenants(db, (tx) => tenantsWithDueWebhooks(tx, now));
  for (let i = tenants.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [tenants[i], tenants[j]] = [tenants[j]!, tenants[i]!];
  }
  let failed = 0;
  for (const tenantId of tenants) {
    if (Date.now() >= until) break;
    try {
      await dispatchWebhooks({ db, kek: started.kek, now: () => new Date(), send, publicUrl: started.config.publicUrl }, tenantId, until);
    } catch (e) {
      failed++;
      started.log.error('delivering webhooks failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return failed;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    let started: Isolate;
    try {
      started = await load(env);
    } catch (e) {
      reportStartFailure(e);
      return startFailureResponse();
    }
    const db = openDatabase(env);
    try {
      await guardRole(started, db);
      await confirmOrigin(started, db);
    } catch (e) {
      reportStartFailure(e);
      ctx.waitUntil(db.close());
      return startFailureResponse(e);
    }
    // The log entries this request's transactions committed: sequenced once it has answered.
    const appended = new Set<string>();
    const unsubscribe = onCommittedLogAppend((tenantId, committedTo) => {
      if (committedTo === db) appended.add(tenantId);
    });
    try {
      // Cloudflare sets cf-connecting-ip at its edge; a client cannot choose it.
      const clientAddress = request.headers.get('cf-connecting-ip') ?? undefined;
      return await started.app.fetch(request, { db, ...(clientAddress ? { clientAddress } : {}) }, ctx);
    } finally {
      unsubscribe();
      // Lists are re-signed before the answer goes; the log's entries are sequenced right after
      // it (the answer says "pending"), on the request's own connection, which then closes:
      // waitUntil lets both finish after the response.
      ctx.waitUntil(sequence(started, db, appended).finally(() => db.close()));
    }
  },

  async scheduled(_controller, env, _ctx): Promise<void> {
    let started: Isolate;
    try {
      started = await load(env);
    } catch (e) {
      reportStartFailure(e);
      throw e;
    }
    const db = openDatabase(env);
    try {
      await guardRole(started, db).catch((e: unknown) => {
        reportStartFailure(e);
        throw e;
      });
      await confirmOrigin(started, db);
      const { failed } = await rotateDueKeys({ db, kek: started.kek, now: new Date(), log: started.log });
      const lists = await republishStaleLists({ db, kek: started.kek, origin: started.origin, now: new Date(), log: started.log });
      // The safety net of the sequencing after each request: whatever a request left pending.
      const logs = await sequence(started, db, await acrossTenants(db, tenantsWithPending));
      // Audit exports asked of this deployment's Workers are built here (the log sequenced first).
      const exportsFailed = await buildWaitingExports({ db, sequencer: sequencerDeps(started, db), now: () => new Date() }, (tenantId, e) =>
        started.log.error('building an audit export failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
      );
      await dropExpiredExports({ db, now: () => new Date() });
      // Webhook deliveries due (new events and retries): the Cron Trigger's interval bounds how
      // soon a Worker deployment sends them. Cloudflare's fetch reaches no private network, and a
      // Worker has no resolver to pin an address with: the guard checks the URL itself.
      // Evidence reminders (and buyers' expiry notices) before the deliveries, so the run that places one also sends it.
      const remindersFailed = await remindAllTenants(
        { db, now: () => new Date(), notices: { kek: started.kek, publicUrl: started.config.publicUrl, now: () => new Date() } },
        (tenantId, e) =>
          started.log.error('placing evidence reminders failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
      );
      const hooksFailed = await dispatchDueWebhooks(started, db);
      // Each failure is already logged; throwing marks the Cron Trigger run as failed where operators look.
      if (failed.length > 0) throw new Error(`key rotation failed for ${failed.length} tenant(s)`);
      if (lists.failed > 0) throw new Error(`status list publication failed for ${lists.failed} list(s)`);
      if (logs > 0) throw new Error(`sequencing the log failed for ${logs} tenant(s)`);
      if (exportsFailed > 0) throw new Error(`building audit exports failed for ${exportsFailed} tenant(s)`);
      if (remindersFailed > 0) throw new Error(`placing evidence reminders failed for ${remindersFailed} tenant(s)`);
      if (hooksFailed > 0) throw new Error(`delivering webhooks failed for ${hooksFailed} tenant(s)`);
    } finally {
      await db.close();
    }
  },
} satisfies ExportedHandler<Env>;
