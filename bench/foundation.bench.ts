/**
 * Foundation benchmark: what a verifier fetching our public documents costs us, and what a key
 * rotation costs, each beside a baseline measured in the same run on the same machine (shared
 * and noisy machines make absolute figures meaningless; ratios travel).
 */
import { parseConfig } from '../src/config/index.ts';
import { createApp } from '../src/http/app.ts';
import { generateKeyEncryptionKey, generateSigningKey, importKeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { rotateNow } from '../src/keys/rotation.ts';
import { createJsonLogger } from '../src/log/logger.ts';
import { migrate } from '../src/store/migrations.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
import { opsPerSecond, table, UNLIMITED_RATES } from './measure.ts';

const db = await openPglite();
await migrate(db, await loadMigrations());
const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
await bootstrap({ db, kek, now: new Date() }, { demoTenant: true });
await createTenant({ db, kek, now: new Date(), actor: 'bench' }, { id: 'rot', name: 'rot' });
const config = parseConfig({
  LAUNCHPROOF_ENV: 'test',
  PUBLIC_URL: 'https://issuer.bench',
  ...UNLIMITED_RATES,
});
const app = createApp({ config, kek, clock: () => new Date(), log: createJsonLogger('error'), fetch });

// Baseline 1: one ES256 signature with raw WebCrypto (the unit every credential will cost).
const { privateKey } = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])) as CryptoKeyPair;
const payload = new TextEncoder().encode('x'.repeat(512));
const sign = () => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, payload);
// Baseline 2: the smallest query PGlite can answer, i.e. the floor of any request that reads storage.
const select1 = () => db.query('select 1');

const get = (path: string, headers: Record<string, string> = {}) =>
  Promise.resolve(app.fetch(new Request(`https://issuer.bench${path}`, { headers }), { db }));
const etag = (await get('/t/demo/did.json')).headers.get('etag')!;

const signs = await opsPerSecond(sign);
const selects = await opsPerSecond(select1);
const rows = [
  {
    name: 'GET /t/demo/did.json (200)',
    perSecond: await opsPerSecond(() => get('/t/demo/did.json')),
    baseline: selects,
    baselineName: 'PGlite select 1',
  },
  {
    name: 'GET /t/demo/did.json (304)',
    perSecond: await opsPerSecond(() => get('/t/demo/did.json', { 'if-none-match': etag })),
    baseline: selects,
    baselineName: 'PGlite select 1',
  },
  {
    name: 'GET /t/demo/jwks.json (200)',
    perSecond: await opsPerSecond(() => get('/t/demo/jwks.json')),
    baseline: selects,
    baselineName: 'PGlite select 1',
  },
  {
    name: 'key generation (ES256 pair + thumbprint)',
    perSecond: await opsPerSecond(() => generateSigningKey('ES256')),
    baseline: signs,
    baselineName: 'WebCrypto ES256 sign',
  },
  {
    name: 'key rotation (stored, audited)',
    perSecond: await opsPerSecond(() => rotateNow({ db, kek, now: new Date(), actor: 'bench' }, 'rot'), 1_000),
    baseline: signs,
    baselineName: 'WebCrypto ES256 sign',
  },
];
console.log(`launchproof foundation benchmark (PGlite, in process, Node ${process.version})\n`);
console.log(table(rows));
await db.close();
