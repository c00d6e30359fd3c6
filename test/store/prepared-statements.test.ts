import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import type { Database } from '../../src/store/port.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { harness } from '../support/harness.ts';
import { skipBecause } from '../support/skip.ts';
import { readinessAssessment } from '../http/helpers.ts';

/** Statements this session of the server holds prepared (a pool of one: every statement ran on it). */
async function preparedOnServer(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements');
  return row!.n;
}

/** Creates a tenant, issues in every format and verifies each: the statements an operator's day is made of. */
async function issueAndVerify(db: Database): Promise<void> {
  const h = await harness(db);
  expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  const issued = await h.request('POST', '/v1/t/acme/attestations', {
    token: h.adminToken,
    body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] },
  });
  expect(issued.status).toBe(201);
  const { credentials } = (await issued.json()) as { credentials: { credential: string }[] };
  for (const { credential } of credentials) {
    const report = (await (await h.request('POST', '/v1/verify', { body: { credential } })).json()) as { verified: boolean };
    expect(report.verified).toBe(true);
  }
}

/**
 * DATABASE_PREPARED_STATEMENTS=false is for a pooler that hands one client's statements to
 * several server sessions (PgBouncer in transaction mode): nothing may be left prepared in a
 * session, and everything must work as with prepared statements.
 */
describe.skipIf(skipBecause(!postgresAvailable(), 'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on'))(
  'PostgreSQL with and without prepared statements',
  () => {
    const dropped: (() => Promise<void>)[] = [];
    let url: string;
    beforeAll(async () => {
      const created = await createPostgresDatabase();
      url = created.url;
      dropped.push(created.drop);
    });
    afterAll(async () => {
      for (const drop of dropped) await drop();
    });

    it('reads DATABASE_PREPARED_STATEMENTS: on unless set false', () => {
      const base = { LAUNCHPROOF_ENV: 'test' };
      expect(parseConfig(base).databasePreparedStatements).toBe(true);
      expect(parseConfig({ ...base, DATABASE_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements).toBe(false);
      expect(() => parseConfig({ ...base, DATABASE_PREPARED_STATEMENTS: 'sometimes' })).toThrow(/DATABASE_PREPARED_STATEMENTS/);
    });

    it('issues and verifies without leaving a statement prepared, and leaves them prepared when on', async () => {
      const unprepared = openPostgres(url, { max: 1, prepare: false });
      try {
        await issueAndVerify(unprepared);
        expect(await preparedOnServer(unprepared)).toBe(0);
      } finally {
        await unprepared.close();
      }
      const prepared = openPostgres(url, { max: 1 });
      try {
        await prepared.query('select count(*) from tenants where id = $1', ['acme']);
        expect(await preparedOnServer(prepared)).toBeGreaterThan(0);
      } finally {
        await prepared.close();
      }
    });
  },
);
