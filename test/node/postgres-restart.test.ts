/**
 * Issue 11, defect 1: PostgreSQL crashing under load must not take the service down with it.
 * A real `launchproof serve` runs against a PostgreSQL 15 cluster this file owns; four clients
 * issue and read while the cluster is killed (`pg_ctl stop -m immediate`) and started again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { freePort, startService, stopService, type ServiceProcess } from '../support/service-process.ts';
import { readBootstrapKey } from '../support/bootstrap-key.ts';

interface Outcome {
  readonly op: 'issue' | 'read';
  /** HTTP status, or 0 when no response came at all (connection refused or reset). */
  readonly status: number;
  readonly code?: string;
  readonly retryAfter: string | null;
  readonly sentAt: number;
  readonly doneAt: number;
}

interface Acknowledged {
  readonly id: string;
  readonly credential: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!privatePostgresAvailable())('PostgreSQL crashing and restarting under load', () => {
  let pg: PrivatePostgres;
  let dataDir: string;
  let service: ServiceProcess | undefined;
  let base: string;

  beforeAll(async () => {
    pg = await startPrivatePostgres(await freePort());
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-pg-restart-'));
  });
  afterAll(async () => {
    if (service) await stopService(service);
    await pg?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 storage_unavailable with Retry-After while it is down, stays up, serves again within 5 s, and loses no acknowledged credential', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = await startService({
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: pg.url,
      LAUNCHPROOF_ENV: 'development',
      LOG_LEVEL: 'error',
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
      VERIFY_RATE_LIMIT_PER_MINUTE: '100000',
      // The scheduled sweep runs during the outage too, and must not take the process down either.
      ROTATION_CHECK_SECONDS: '1',
    });
    const token = await readBootstrapKey(dataDir);
    const auth = { authorization: `Bearer ${token}` };

    const outcomes: Outcome[] = [];
    const acknowledged: Acknowledged[] = [];
    let running = true;
    const call = async (op: Outcome['op'], path: string, init: RequestInit = {}): Promise<Response | undefined> => {
      const sentAt = Date.now();
      try {
        const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
        const code = res.status >= 400 ? ((await res.clone().json()) as { code?: string }).code : undefined;
        outcomes.push({
          op,
          status: res.status,
          ...(code ? { code } : {}),
          retryAfter: res.headers.get('retry-after'),
          sentAt,
          doneAt: Date.now(),
        });
        return res;
      } catch {
        outcomes.push({ op, status: 0, retryAfter: null, sentAt, doneAt: Date.now() });
        await sleep(100);
        return undefined;
      }
    };
    const client = async () => {
      while (running) {
        const res = await call('issue', '/v1/t/demo/attestations', {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt'] }),
        });
        if (res?.status === 201) {
          const body = (await res.json()) as { attestation_id: string; credentials: { credential: string }[] };
          acknowledged.push({ id: body.attestation_id, credential: body.credentials[0]!.credential });
          await call('read', `/v1/t/demo/attestations/${body.attestation_id}`, { headers: auth });
        } else {
          // A refused client backs off as Retry-After asks, within reason for a test.
          await sleep(200);
        }
      }
    };
    const clients = Array.from({ length: 4 }, () => client());

    const waitFor = async (what: string, condition: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!condition()) {
        if (Date.now() > deadline) {
          const counts = new Map<string, number>();
          for (const o of outcomes) counts.set(`${o.status} ${o.code ?? ''}`, (counts.get(`${o.status} ${o.code ?? ''}`) ?? 0) + 1);
          const tally = [...counts].map(([k, n]) => `${k}: ${n}`);
          throw new Error(
            `timed out waiting for ${what}; process exit ${JSON.stringify(service!.exit)}; outcomes ${tally.join(', ')}; stderr: ${service!.stderr
              .join('')
              .replace(/lp_[A-Za-z0-9_-]+/g, 'lp_…')
              .slice(-1500)}`,
          );
        }
        await sleep(20);
      }
    };
    try {
      await waitFor('issuing under load', () => acknowledged.length >= 8, 60_000);
      const crashedAt = Date.now();
      await pg.crash();
      // Down long enough that every client meets the outage more than once.
      await waitFor(
        'refusals while down',
        () => outcomes.filter((o) => o.sentAt > crashedAt && o.status !== 201 && o.status !== 200).length >= 8,
        30_000,
      );
      // Long enough for the driver's default backoff (3^n / 100 s a try, up to 20 s) to have grown past 5 s.
      await sleep(5_000);
      const downFor = Date.now() - crashedAt;
      await pg.start();
      // From the moment PostgreSQL accepts connections again to the first issuance acknowledged after it.
      const restartedAt = Date.now();
      const issuedAfterRestart = () => outcomes.filter((o) => o.doneAt >= restartedAt && o.op === 'issue' && o.status === 201);
      await waitFor('serving again', () => issuedAfterRestart().length > 0, 30_000);
      const servingAfterMs = Math.min(...issuedAfterRestart().map((o) => o.doneAt)) - restartedAt;
      const issuedBeforeMore = acknowledged.length;
      await waitFor('issuing after the restart', () => acknowledged.length >= issuedBeforeMore + 4, 60_000);
      running = false;
      await Promise.all(clients);

      const refused = outcomes.filter((o) => o.status !== 200 && o.status !== 201);
      console.log(
        `postgres restart: down ${downFor} ms; ${outcomes.length} requests, ${acknowledged.length} issued, ${refused.length} refused; first issuance acknowledged ${servingAfterMs} ms after PostgreSQL accepted again`,
      );
      expect(service.exit, service.stderr.join('')).toBeUndefined();
      expect(service.stderr.join('')).not.toMatch(/TypeError|uncaught/i);
      // Every refusal is the documented one: 503 storage_unavailable with a Retry-After; no 500, no dropped connection.
      expect(refused.length).toBeGreaterThan(0);
      for (const o of refused) {
        expect(o, JSON.stringify(o)).toMatchObject({ status: 503, code: 'storage_unavailable' });
        expect(Number(o.retryAfter)).toBeGreaterThan(0);
      }
      expect(servingAfterMs).toBeLessThanOrEqual(5_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }

    // Every credential acknowledged with a 2xx is still there after the crash, and verifies.
    for (const a of acknowledged) {
      const read = await fetch(`${base}/v1/t/demo/attestations/${a.id}`, { headers: auth });
      expect(read.status, a.id).toBe(200);
      const verified = await fetch(`${base}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ credential: a.credential }),
      });
      expect(verified.status).toBe(200);
      expect(await verified.json(), a.id).toMatchObject({ verified: true, status: { value: 'valid' } });
    }
  }, 240_000);
});
