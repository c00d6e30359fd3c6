/**
 * Round trips per request (issue 12's closing figures): statements and transactions a public
 * GET, a verification and an issuance send to the database, counted at the storage port of an
 * in-process app on PGlite, warm (the first request of each kind has filled the projection) and
 * cold (a fresh projection). Counts, not times: the same on any machine.
 */
import { parseConfig } from '../src/config/index.ts';
import { createApp } from '../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { createJsonLogger } from '../src/log/logger.ts';
import { Projection } from '../src/projection/projection.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
import { migrate } from '../src/store/migrations.ts';
import type { Database, Queryable } from '../src/store/port.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { readinessAssessment } from '../test/http/helpers.ts';
import { UNLIMITED_RATES } from './measure.ts';

const counts = { statements: 0, transactions: 0 };
function counting(db: Database): Database {
  const wrap = (q: Queryable): Queryable => ({
    query: (text, params) => {
      counts.statements++;
      return q.query(text, params);
    },
    exec: (text) => {
      counts.statements++;
      return q.exec(text);
    },
  });
  const base = wrap(db);
  return {
    ...db,
    query: base.query,
    exec: base.exec,
    transaction: (fn) => {
      counts.transactions++;
      return db.transaction((tx) => fn(wrap(tx)));
    },
  };
}

const raw = await openPglite();
await migrate(raw, await loadMigrations());
const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
const { adminToken } = await bootstrap({ db: raw, kek, now: new Date() }, { demoTenant: false });
await createTenant({ db: raw, kek, now: new Date(), actor: 'bench' }, { id: 'acme', name: 'Acme' });
const db = counting(raw);
const config = parseConfig({ LAUNCHPROOF_ENV: 'test', PUBLIC_URL: 'https://issuer.bench', ...UNLIMITED_RATES });
const projection = new Projection();
// As the Node server runs it: following changes, so no version check on read.
projection.mode = 'notified';
const app = createApp({ config, kek, clock: () => new Date(), log: createJsonLogger('error'), fetch, projection });
const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const res = await app.fetch(
    new Request(`https://issuer.bench${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    { db, clientAddress: '127.0.0.1' },
  );
  if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res;
};
const measure = async (fn: () => Promise<unknown>) => {
  counts.statements = 0;
  counts.transactions = 0;
  await fn();
  return `${counts.transactions} transactions, ${counts.statements} statements`;
};

const issue = (format: string) => async () =>
  (
    (await (
      await call('POST', '/v1/t/acme/attestations', { assessment: readinessAssessment(), formats: [format] }, adminToken)
    ).json()) as {
      credentials: { credential: string }[];
    }
  ).credentials[0]!.credential;

const rows: string[] = [];
for (const format of ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt']) {
  // The first opens the list (and signs its first copy, which voids this tenant's entries once).
  await issue(format)();
  await issue(format)();
  let credential = '';
  rows.push(`| issue ${format} (one more on a warm service) | ${await measure(async () => (credential = await issue(format)()))} |`);
  rows.push(`| POST /v1/verify ${format}, first time | ${await measure(() => call('POST', '/v1/verify', { credential }))} |`);
  rows.push(`| POST /v1/verify ${format}, again | ${await measure(() => call('POST', '/v1/verify', { credential }))} |`);
}
for (const path of ['/t/acme/jwks.json', '/t/acme/did.json', '/.well-known/openid-credential-issuer/t/acme']) {
  rows.push(`| GET ${path}, first time | ${await measure(() => call('GET', path))} |`);
  rows.push(`| GET ${path}, again | ${await measure(() => call('GET', path))} |`);
}
console.log(`launchproof round trips per request (PGlite, in process, projection following changes, Node ${process.version})\n`);
console.log('| request | database work |\n|---|---|');
console.log(rows.join('\n'));
await raw.close();
