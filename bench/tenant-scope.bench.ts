/**
 * What confining a tenant transaction to the unprivileged tenant role costs (issue 11, defect 12):
 * a tenant transaction as the service runs it (one statement sets the tenant and switches to
 * launchproof_tenant, so row-level security binds even a superuser connection), beside the same
 * transaction that only sets the tenant, as before, in the same run. Both read one credential row
 * by primary key under the row-level-security policy. PGlite always; PostgreSQL too when
 * BENCH_POSTGRES_URL names a database the bench may migrate (e.g. a private test cluster's).
 */
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
import { openPostgres } from '../src/runtime/postgres/database.ts';
import { migrate } from '../src/store/migrations.ts';
import type { Database } from '../src/store/port.ts';
import { withTenant } from '../src/store/tenant-scope.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { opsPerSecond, table } from './measure.ts';

const READ = 'select id from tenants where id = $1';

async function measure(engine: string, db: Database) {
  await migrate(db, await loadMigrations());
  const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  await bootstrap({ db, kek, now: new Date() }, { demoTenant: false });
  const tenant = `bench${Date.now().toString(36)}`;
  await createTenant({ db, kek, now: new Date(), actor: 'bench' }, { id: tenant, name: 'Bench' });
  const tenantOnly = () =>
    db.transaction(async (tx) => {
      await tx.query(`select set_config('app.tenant_id', $1, true)`, [tenant]);
      return tx.query(READ, [tenant]);
    });
  const confined = () => withTenant(db, tenant, (tx) => tx.query(READ, [tenant]));
  const baseline = await opsPerSecond(tenantOnly);
  const rows = [
    {
      name: `${engine}: tenant transaction as launchproof_tenant`,
      perSecond: await opsPerSecond(confined),
      baseline,
      baselineName: 'the same, tenant set only (as before)',
    },
  ];
  await db.close();
  return rows;
}

const rows = await measure('PGlite', await openPglite());
const url = process.env.BENCH_POSTGRES_URL;
if (url) rows.push(...(await measure('PostgreSQL', openPostgres(url, { max: 1 }))));
else console.log('(PostgreSQL skipped: set BENCH_POSTGRES_URL to a database the bench may migrate)');
console.log(table(rows));
