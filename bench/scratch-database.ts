/**
 * A database of its own on the PostgreSQL server named by BENCH_POSTGRES_URL, for one bench
 * run: launchproof migrates into it and the peer issuer makes its schema there, so both run
 * against the same server, and nothing of a run outlives it (dropped at the end).
 */
import postgres from 'postgres';

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  /**
   * ANALYZE, as autovacuum does within its first naptime (a minute) once a table has 50 rows: a
   * bench measuring a steady rate on a database created seconds before would otherwise measure
   * plans made on empty tables (a foreign-key check that reads every attestation of the tenant).
   */
  analyse(): Promise<void>;
  drop(): Promise<void>;
}

export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `lp_bench_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async analyse() {
      const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        await db.unsafe('analyze');
      } finally {
        await db.end({ timeout: 5 });
      }
    },
    async drop() {
      const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        // WITH (FORCE): a pool that has not yet noticed its server stopped must not keep the database.
        await again.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await again.end({ timeout: 5 });
      }
    },
  };
}
