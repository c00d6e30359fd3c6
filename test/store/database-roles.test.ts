/**
 * Defect 12 as a deployment meets it on real PostgreSQL: which role the service connects as.
 * Production refuses a role that row-level security does not bind; the documented setup (an
 * ordinary role that owns the schema) migrates, makes or joins the tenant role, and confines a
 * query that forgot its tenant filter.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { openService } from '../../src/runtime/node/service.ts';
import { wrapPglite } from '../../src/runtime/pglite/database.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import type { Database } from '../../src/store/port.ts';
import { migrate } from '../../src/store/migrations.ts';
import { TENANT_ROLE, withTenant, acrossTenants } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { asAdmin, postgresAvailable } from '../support/databases.ts';

const suffix = () => crypto.randomUUID().replace(/-/g, '').slice(0, 12);

function urlFor(database: string, user?: string): string {
  const u = new URL(inject('postgresAdminUrl'));
  u.pathname = `/${database}`;
  if (user) u.username = user;
  return u.toString();
}

/** An empty database, owned by `owner` when given, dropped (with the owner role) by `drop`. */
async function emptyDatabase(owner?: { attributes: string }): Promise<{ url: string; name: string; role?: string; drop(): Promise<void> }> {
  const name = `lp_roles_${suffix()}`;
  const role = owner ? `lp_owner_${suffix()}` : undefined;
  if (role) await asAdmin(`create role ${role} login ${owner!.attributes}`, `create database ${name} owner ${role}`);
  else await asAdmin(`create database ${name}`);
  return {
    url: urlFor(name, role),
    name,
    ...(role ? { role } : {}),
    drop: () => asAdmin(`drop database if exists ${name} with (force)`, ...(role ? [`drop role if exists ${role}`] : [])),
  };
}

function productionConfig(databaseUrl: string) {
  return parseConfig({
    LAUNCHPROOF_ENV: 'production',
    PUBLIC_URL: 'https://issuer.example.com',
    KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
    DATABASE_URL: databaseUrl,
  });
}

describe.skipIf(!postgresAvailable())('the role the service connects to PostgreSQL as', () => {
  const made: { drop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const d of made) await d.drop();
  });

  it('production refuses to start as a superuser, naming the variable, and changes nothing', async () => {
    const d = await emptyDatabase();
    made.push(d);
    const refusal = await openService(productionConfig(d.url), { pages: false, log: createJsonLogger('error', () => {}) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).message).toMatch(
      /DATABASE_URL \(Hyperdrive on Workers\): connects as postgres, which has SUPERUSER and BYPASSRLS, so row-level security/,
    );
    const db = openPostgres(d.url, { max: 1 });
    const [migrated] = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
    await db.close();
    expect(migrated!.t).toBeNull();
  });

  it('development starts as a superuser, with one warning', async () => {
    const d = await emptyDatabase();
    made.push(d);
    const lines: string[] = [];
    const config = parseConfig({ LAUNCHPROOF_ENV: 'development', DATABASE_URL: d.url, KEY_ENCRYPTION_KEY: generateKeyEncryptionKey() });
    const service = await openService(config, { pages: false, log: createJsonLogger('warn', (l) => lines.push(l)) });
    await service.close();
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => /row-level security/.test(l.msg));
    expect(warnings).toHaveLength(1);
  });

  it('production starts as an ordinary owner with CREATEROLE, and a query that forgets its tenant filter sees one tenant', async () => {
    const d = await emptyDatabase({ attributes: 'createrole' });
    made.push(d);
    const service = await openService(productionConfig(d.url), { pages: false, log: createJsonLogger('error', () => {}) });
    try {
      const kek = service.kek;
      for (const id of ['acme', 'globex']) await createTenant({ db: service.db, kek, now: new Date(), actor: 'test' }, { id, name: id });
      const rows = await withTenant(service.db, 'acme', (tx) => tx.query<{ tenant_id: string }>('select tenant_id from signing_keys'));
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set(['acme']));
      const [who] = await acrossTenants(service.db, (tx) => tx.query<{ role: string }>('select current_user as role'));
      expect(who!.role).toBe(d.role);
    } finally {
      await service.close();
    }
  });

  it('an owner without CREATEROLE that was not granted the tenant role cannot migrate, and is told the statement that fixes it', async () => {
    const d = await emptyDatabase({ attributes: '' });
    made.push(d);
    const db = openPostgres(d.url, { max: 1 });
    try {
      await expect(migrate(db, await loadMigrations())).rejects.toThrow(
        new RegExp(`${d.role} may not SET ROLE ${TENANT_ROLE} .*GRANT ${TENANT_ROLE} TO ${d.role};`),
      );
      const [migrated] = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
      expect(migrated!.t).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('an owner without CREATEROLE that an operator granted the tenant role migrates, and tenant transactions are confined', async () => {
    const d = await emptyDatabase({ attributes: '' });
    made.push(d);
    await asAdmin(`grant ${TENANT_ROLE} to ${d.role}`);
    const db = openPostgres(d.url, { max: 2 });
    try {
      await migrate(db, await loadMigrations());
      const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
      for (const id of ['acme', 'globex']) await createTenant({ db, kek, now: new Date(), actor: 'test' }, { id, name: id });
      const rows = await withTenant(db, 'globex', (tx) => tx.query<{ id: string }>('select id from tenants'));
      expect(rows).toEqual([{ id: 'globex' }]);
    } finally {
      await db.close();
    }
  });

  beforeAll(() => {
    // The tenant role belongs to the whole cluster and other databases use it: never dropped here.
    expect(TENANT_ROLE).toBe('launchproof_tenant');
  });
});

/**
 * A PGlite instance is a cluster of its own, so here the tenant role can be missing, and the
 * migration's paths for a fresh cluster run: an owner with CREATEROLE makes the role and may
 * SET ROLE to it (PostgreSQL 16 and later split that right from membership; PGlite is 18), and
 * an owner without it is told what a superuser must run.
 */
describe('the tenant role in a cluster that has none yet (PGlite)', () => {
  async function asOwner(attributes: string): Promise<{ db: Database; close(): Promise<void> }> {
    const db = wrapPglite(await PGlite.create());
    await db.exec(`create role lp_owner nologin ${attributes}; grant create on schema public to lp_owner; set role lp_owner;`);
    return { db, close: () => db.close() };
  }

  it('an owner with CREATEROLE creates the role, can switch to it, and tenant transactions are confined', async () => {
    const { db, close } = await asOwner('createrole');
    try {
      await migrate(db, await loadMigrations());
      const [who] = await db.query<{ role: string }>('select current_user as role');
      expect(who!.role).toBe('lp_owner');
      const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
      for (const id of ['acme', 'globex']) await createTenant({ db, kek, now: new Date(), actor: 'test' }, { id, name: id });
      const rows = await withTenant(db, 'acme', (tx) => tx.query<{ tenant_id: string }>('select tenant_id from signing_keys'));
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set(['acme']));
    } finally {
      await close();
    }
  });

  it('an owner without CREATEROLE is told the statements a superuser must run, and nothing is applied', async () => {
    const { db, close } = await asOwner('');
    try {
      await expect(migrate(db, await loadMigrations())).rejects.toThrow(
        /role launchproof_tenant does not exist and lp_owner may not create it\. Have a superuser run: CREATE ROLE launchproof_tenant NOLOGIN; GRANT launchproof_tenant TO lp_owner;/,
      );
      const [migrated] = await db.query<{ t: string | null }>(`select to_regclass('tenants')::text as t`);
      expect(migrated!.t).toBeNull();
    } finally {
      await close();
    }
  });
});
