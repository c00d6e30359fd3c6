/**
 * Issuance as history grows (issue 12, point 4): vc+jwt attestations per second over HTTP (the
 * in-process Hono app on loopback, 32 requests in flight) with 0, 100,000 and 1,000,000
 * credentials already stored, and with the tenant's open status list 95% full; each line beside
 * the 0-stored rate of the same run. PGlite always; PostgreSQL too when BENCH_POSTGRES_URL names
 * a server the bench may create a database on (it creates one of its own and drops it after,
 * since it writes a million rows).
 *
 * The history is seeded with set-based SQL, writing what issuance writes: per issuance a status
 * slot, an attestation and its vc+jwt credential row (a 320-character placeholder, not a signed
 * credential: shorter than a real one, to keep a million rows in PGlite's memory; audit events and
 * assessments are not repeated). Every stored list but the open one is full, its slots written in index
 * order (a closed list is never read to allocate); the open list is filled the way allocation
 * fills it (its cursors moved on, its slots where those numbers map). On a checkout before
 * migration 9, which has no cursors, the open list's slots are taken at random, as that code
 * took them: the same bench then gives the "before" figures.
 *
 * After each seed the database is vacuumed, analysed and (PostgreSQL) checkpointed, as it would be
 * by the time a server had stored that much.
 *
 * Cost: the million-row seed dominates (on a loaded 2-core machine about 3.5 min on PGlite, with
 * some 5 GB resident, and 1.5 min on PostgreSQL); the measurements take 6 s a line.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { parseConfig } from '../src/config/index.ts';
import { createApp } from '../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { createJsonLogger } from '../src/log/logger.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
import { openPostgres } from '../src/runtime/postgres/database.ts';
import { migrate } from '../src/store/migrations.ts';
import type { Database, Queryable } from '../src/store/port.ts';
import { acrossTenants } from '../src/store/tenant-scope.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { readinessAssessment } from '../test/http/helpers.ts';
import { table, UNLIMITED_RATES } from './measure.ts';

const TENANT = 'acme';
const IN_FLIGHT = 32;
const MEASURE_MS = 5_000;
const WARM_MS = 1_000;
const LIST_SIZE = 131_072;

/** Requests per second with `inFlight` always outstanding, over `ms` after a warm-up. */
async function concurrentPerSecond(fn: () => Promise<void>, inFlight: number, ms: number): Promise<number> {
  const run = async (until: number) => {
    let n = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < until) {
          await fn();
          n++;
        }
      }),
    );
    return n;
  };
  await run(performance.now() + WARM_MS);
  const start = performance.now();
  const n = await run(start + ms);
  return (n * 1000) / (performance.now() - start);
}

interface Seeder {
  /** Issuances stored for the tenant. */
  stored(): Promise<number>;
  /** Adds issuances until `target` are stored. */
  seedTo(target: number): Promise<void>;
  /** Fills the open list to `fraction` of its size. */
  fillOpenList(fraction: number): Promise<void>;
}

function seeder(db: Database): Seeder {
  // Foreign-key triggers off while seeding (the rows are consistent by construction): checked
  // row by row they would make a million-row seed take many minutes. Needs a superuser, as
  // PGlite always is and a test cluster's administrator is.
  const all = <T>(fn: (tx: Queryable) => Promise<T>) =>
    acrossTenants(db, async (tx) => {
      await tx.query(`select set_config('session_replication_role', 'replica', true)`);
      return fn(tx);
    });
  const newListId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');

  /**
   * Inserts the slots `slotsSql` selects ($1 tenant, then its own parameters) with, for each, the
   * attestation and credential rows issuance writes beside it. One statement, no anti-join.
   */
  const withRecords = (tx: Queryable, ctes: string, slotsSql: string, params: unknown[]) =>
    tx.query(
      `with ${ctes} template as (
         select assessment_id, profile_id, profile_version, subject_name, subject_id, kid, valid_from, valid_until, issued_by
           from attestations where tenant_id = $1 order by issued_at limit 1
       ), slots as (
         insert into status_slots (tenant_id, list_id, idx, allocated_at) ${slotsSql}
         returning list_id, idx, allocated_at
       ), a as (
         insert into attestations (id, tenant_id, assessment_id, profile_id, profile_version, subject_name, subject_id, kid,
                                   issued_at, valid_from, valid_until, issued_by, status_list_id, status_index)
         select gen_random_uuid(), $1, t.assessment_id, t.profile_id, t.profile_version, t.subject_name, t.subject_id, t.kid,
                s.allocated_at, t.valid_from, t.valid_until, t.issued_by, s.list_id, s.idx
           from slots s cross join template t
         returning id, assessment_id, profile_id, profile_version, subject_name, subject_id, kid, issued_at, valid_from, valid_until,
                   issued_by, status_list_id, status_index
       )
       insert into credentials (id, tenant_id, attestation_id, assessment_id, format, kid, profile_id, profile_version, subject_name,
                                subject_id, issued_at, valid_from, valid_until, holder, credential, issued_by, status_list_id, status_index)
       select gen_random_uuid(), $1, a.id, a.assessment_id, 'vc+jwt', a.kid, a.profile_id, a.profile_version, a.subject_name,
              a.subject_id, a.issued_at, a.valid_from, a.valid_until, null, repeat(md5(a.id::text), 10), a.issued_by,
              a.status_list_id, a.status_index
         from a`,
      [TENANT, ...params],
    );

  /** Each open-list cursor's number once `fraction` of its range is used (never behind where it is). */
  const TARGETS = `targets as (
         select c.list_id, c.stripe, c.next_n, l.slot_key, l.size,
                greatest(c.next_n, (l.size::bigint * c.stripe / 32)::int
                                   + floor($2::float8 * (c.stop_n - (l.size::bigint * c.stripe / 32)::int))::int) as target
           from status_list_cursors c join status_lists l on l.tenant_id = c.tenant_id and l.id = c.list_id
          where c.tenant_id = $1 and l.full_at is null
       ),`;

  /** Moves every cursor of the open list on so that `fraction` of its numbers are used, taking their slots. */
  async function fill(tx: Queryable, fraction: number, at: Date): Promise<void> {
    await withRecords(
      tx,
      TARGETS,
      `select $1, t.list_id, status_slot_index(t.slot_key, n, t.size), $3 from targets t, generate_series(t.next_n, t.target - 1) n`,
      [fraction, at],
    );
    await tx.query(
      `with ${TARGETS} moved as (
         update status_list_cursors c set next_n = t.target from targets t
          where c.tenant_id = $1 and c.list_id = t.list_id and c.stripe = t.stripe returning 1
       ) select count(*) from moved`,
      [TENANT, fraction],
    );
  }

  /** A new list after the last, holding `count` slots; closed when full, else open with its cursors moved on. */
  async function addList(tx: Queryable, count: number, cursors: boolean, at: Date): Promise<void> {
    const id = newListId();
    const full = count >= LIST_SIZE;
    await tx.query(
      `insert into status_lists (tenant_id, id, seq, size, created_at, full_at)
       select $1, $2, coalesce(max(seq), 0) + 1, $3, $4, $5 from status_lists where tenant_id = $1`,
      [TENANT, id, LIST_SIZE, at, full ? at : null],
    );
    if (full) {
      await withRecords(tx, '', `select $1, $2::text, g, $3::timestamptz from generate_series(0, $4::int - 1) g`, [id, at, LIST_SIZE]);
    } else if (cursors) {
      await tx.query(
        `insert into status_list_cursors (tenant_id, list_id, stripe, next_n, stop_n)
         select $1, $2, s, ($3::bigint * s / 32)::int, ($3::bigint * (s + 1) / 32)::int from generate_series(0, 31) s`,
        [TENANT, id, LIST_SIZE],
      );
      await fill(tx, count / LIST_SIZE, at);
    } else {
      // Before migration 9: distinct slots at random, as the old allocator chose them.
      await withRecords(
        tx,
        '',
        `select $1, $2::text, g, $3::timestamptz from (select g from generate_series(0, $4::int - 1) g order by random() limit $5) r`,
        [id, at, LIST_SIZE, count],
      );
    }
  }

  return {
    async stored() {
      const [row] = await all((tx) =>
        tx.query<{ n: number }>('select count(*)::int as n from attestations where tenant_id = $1', [TENANT]),
      );
      return row!.n;
    },
    async seedTo(target) {
      let missing = target - (await this.stored());
      const at = new Date();
      await all(async (tx) => {
        const [r] = await tx.query<{ c: string | null }>(`select to_regclass('status_list_cursors')::text as c`);
        const cursors = r!.c !== null;
        // The list the measurement left open is closed as it stands; the history comes after it.
        await tx.query('update status_lists set full_at = $2 where tenant_id = $1 and full_at is null', [TENANT, at]);
        if (cursors) await tx.query('delete from status_list_cursors where tenant_id = $1', [TENANT]);
        while (missing > 0) {
          const count = Math.min(missing, LIST_SIZE);
          await addList(tx, count, cursors, at);
          missing -= count;
        }
      });
    },
    async fillOpenList(fraction) {
      const at = new Date();
      await all(async (tx) => {
        const [open] = await tx.query<{ id: string; used: number }>(
          `select l.id, (select count(*)::int from status_slots s where s.tenant_id = l.tenant_id and s.list_id = l.id) as used
             from status_lists l where l.tenant_id = $1 and l.full_at is null order by seq limit 1`,
          [TENANT],
        );
        const [r] = await tx.query<{ c: string | null }>(`select to_regclass('status_list_cursors')::text as c`);
        if (r!.c !== null) await fill(tx, fraction, at);
        else
          await withRecords(
            tx,
            '',
            `select $1, $2::text, g, $3::timestamptz from generate_series(0, $4::int - 1) g
              where not exists (select 1 from status_slots s where s.tenant_id = $1 and s.list_id = $2 and s.idx = g)
              order by random() limit $5`,
            [open!.id, at, LIST_SIZE, Math.max(0, Math.floor(fraction * LIST_SIZE) - open!.used)],
          );
      });
    },
  };
}

interface Line {
  name: string;
  perSecond: number;
}

async function measure(engine: string, db: Database, kek: KeyEncryptionKey): Promise<Line[]> {
  await migrate(db, await loadMigrations());
  const { adminToken } = await bootstrap({ db, kek, now: new Date() }, { demoTenant: false });
  await createTenant({ db, kek, now: new Date(), actor: 'bench' }, { id: TENANT, name: 'Acme' });
  const config = parseConfig({ LAUNCHPROOF_ENV: 'test', PUBLIC_URL: 'https://issuer.bench', ...UNLIMITED_RATES });
  const app = createApp({ config, kek, clock: () => new Date(), log: createJsonLogger('error'), fetch });
  const server = serve({ fetch: (req) => app.fetch(req, { db }), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  // A seed keeps the event loop busy for seconds (PGlite runs on it): the server must not close
  // idle keep-alive connections the client is about to reuse when the next measurement starts.
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 600_000;
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const body = JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt'] });
  const issue = async () => {
    const res = await fetch(`${base}/v1/t/${TENANT}/attestations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken!}`, 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 201) throw new Error(`issuance answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const rate = () => concurrentPerSecond(issue, IN_FLIGHT, MEASURE_MS);
  const seed = seeder(db);
  const lines: Line[] = [];
  const step = async (name: string, prepare: () => Promise<void>) => {
    const t = performance.now();
    await prepare();
    const seeded = ((performance.now() - t) / 1000).toFixed(0);
    // What autovacuum (PostgreSQL) or the server's statistics (PGlite) do after a bulk insert, done
    // before measuring rather than during it: measured while PostgreSQL vacuumed and analysed the
    // 100,000 rows just seeded, the rate fell to 0.73x of the empty database's and stayed there
    // at 1,000,000, a cost of the seed, not of history.
    await db.exec('vacuum analyze');
    if (db.engine === 'postgres') await db.exec('checkpoint');
    lines.push({ name: `${engine}: ${name}`, perSecond: await rate() });
    console.error(`${engine}: ${name} measured (seeded in ${seeded} s, ${await seed.stored()} stored)`);
  };
  try {
    await step('0 credentials stored', async () => {});
    await step('100,000 stored', () => seed.seedTo(100_000));
    await step('1,000,000 stored', () => seed.seedTo(1_000_000));
    await step('1,000,000 stored, open list 95% full', () => seed.fillOpenList(0.95));
  } finally {
    server.close();
  }
  return lines;
}

const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
const results: Line[][] = [];
const pglite = await openPglite();
try {
  results.push(await measure('PGlite', pglite, kek));
} finally {
  await pglite.close();
}

const url = process.env.BENCH_POSTGRES_URL;
if (url) {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const name = `lp_bench_history_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin.unsafe(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = openPostgres(u.toString());
  try {
    results.push(await measure('PostgreSQL', db, kek));
  } finally {
    await db.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
} else {
  console.log('PostgreSQL: not run: set BENCH_POSTGRES_URL to a server the bench may create a database on');
}

console.log(
  `\nlaunchproof issuance as history grows (vc+jwt over HTTP, ${IN_FLIGHT} in flight, ${MEASURE_MS / 1000} s a line, Node ${process.version})\n`,
);
console.log(
  table(results.flatMap((lines) => lines.map((l) => ({ ...l, baseline: lines[0]!.perSecond, baselineName: '0 stored, same run' })))),
);
