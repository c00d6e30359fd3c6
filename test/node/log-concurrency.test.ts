/**
 * Issue 13's concurrency proof: 1,000 issuances through two real `launchproof serve` processes
 * sharing one PostgreSQL 15 database give 1,000 issuance entries in the tenant's log, with no
 * gap and no index taken twice, and every inclusion proof (computed from the stored tiles, as the
 * service serves them) valid against the final checkpoint, which the log's own key signed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { logKeys } from '../../src/keys/key-store.ts';
import { logKeyVerifier } from '../../src/keys/log-key.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { parseEntry } from '../../src/transparency/entries.ts';
import { leafHash, rootOf, verifyInclusion } from '../../src/transparency/merkle.ts';
import { inclusionProofAt, logView } from '../../src/transparency/reader.ts';
import { entriesInRange, tenantsWithPending } from '../../src/transparency/store.ts';
import { sameBytes } from '../../src/util/bytes.ts';
import { nodeSha256 } from '../../src/runtime/node/sha256.ts';
import { useSha256 } from '../../src/util/sha256.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { readBootstrapKey } from '../support/bootstrap-key.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { baseEnv, freePort, startService, stopAllServices } from '../support/service-process.ts';
import { skipBecause } from '../support/skip.ts';

const ISSUANCES = 1_000;
/** Requests in flight per instance. */
const IN_FLIGHT = 16;
const utf8 = new TextEncoder();

describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('1,000 issuances through two instances on one PostgreSQL, into one tenant log', () => {
  const dirs: string[] = [];
  let drop: (() => Promise<void>) | undefined;
  let db: Database | undefined;
  let bases: string[] = [];
  let token: string;

  beforeAll(async () => {
    useSha256(nodeSha256);
    const created = await createPostgresDatabase({ migrated: false });
    drop = created.drop;
    const ports = [await freePort(), await freePort()];
    const shared = {
      DATABASE_URL: created.url,
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
      PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
      LOG_LEVEL: 'error',
      RATE_LIMIT_ISSUANCE_PER_MINUTE: '1000000',
      RATE_LIMIT_OPERATOR_PER_MINUTE: '1000000',
    };
    for (const port of ports) {
      const dir = await mkdtemp(join(tmpdir(), 'launchproof-log-'));
      dirs.push(dir);
      // One after the other: the first migrates and bootstraps, the second opens what it made.
      await startService({ ...baseEnv(dir, port), ...shared });
    }
    bases = ports.map((p) => `http://127.0.0.1:${p}`);
    token = await readBootstrapKey(dirs[0]!);
    db = openPostgres(created.url, { max: 4 });
  }, 120_000);

  afterAll(async () => {
    await stopAllServices();
    await db?.close();
    await drop?.();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('gives 1,000 entries, no gap, no duplicate, and every inclusion proof valid against the final checkpoint', async () => {
    const attestations: string[] = [];
    let next = 0;
    const worker = async (base: string) => {
      while (next < ISSUANCES) {
        next++;
        const res = await fetch(`${base}/v1/t/demo/attestations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt'] }),
        });
        expect(res.status, await res.clone().text()).toBe(201);
        attestations.push(((await res.json()) as { attestation_id: string }).attestation_id);
      }
    };
    const started = performance.now();
    await Promise.all(bases.flatMap((base) => Array.from({ length: IN_FLIGHT }, () => worker(base))));
    console.log(`issued in ${Math.round(performance.now() - started)} ms`);
    expect(new Set(attestations).size).toBe(ISSUANCES);

    // Each instance sequences its own commits at once; within 2 s nothing is left pending.
    await expect.poll(() => acrossTenants(db!, tenantsWithPending), { timeout: 2_000, interval: 50 }).toEqual([]);

    const { view, entries, key } = await withTenant(db!, 'demo', async (tx) => {
      const v = (await logView(tx, 'demo'))!;
      return { view: v, entries: await entriesInRange(tx, 'demo', 0, v.head.size), key: (await logKeys(tx, 'demo'))[0]! };
    });
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: view.head.size }, (_, i) => i));
    const { checkpoint } = await openCheckpoint(
      view.note,
      view.head.origin,
      await logKeyVerifier({ origin: view.head.origin, publicJwk: key.publicJwk }),
    );
    const leaves = await Promise.all(entries.map((e) => leafHash(utf8.encode(e.body))));
    expect(sameBytes(checkpoint.root, await rootOf(leaves))).toBe(true);

    const issued = new Map<string, number>();
    for (const e of entries) {
      const { event } = parseEntry(utf8.encode(e.body));
      if (event.type === 'attestation.issued') {
        expect(issued.has(event.attestation), `${event.attestation} logged twice`).toBe(false);
        issued.set(event.attestation, e.index);
      }
    }
    expect([...issued.keys()].sort()).toEqual([...attestations].sort());
    const proofs = await withTenant(db!, 'demo', (tx) =>
      Promise.all([...issued.values()].map(async (index) => ({ index, proof: await inclusionProofAt(tx, 'demo', view, index) }))),
    );
    console.log(`proved by ${Math.round(performance.now() - started)} ms`);
    for (const { index, proof } of proofs)
      expect(await verifyInclusion(index, checkpoint.size, leaves[index]!, proof, checkpoint.root), `entry ${index}`).toBe(true);
  }, 300_000);
});
