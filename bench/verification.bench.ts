/**
 * Verification benchmark (issue 5): credentials of each format verified per second, in process
 * (the pipeline with this deployment's keys and status lists, PGlite) and through HTTP
 * (POST /v1/verify on loopback), beside raw WebCrypto ES256 verifications measured in the same run.
 * Every verification checks signature, key history, validity, status (a signed list, verified
 * each time) and, where every result is disclosed, recomputes the readiness verdict.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../src/config/index.ts';
import { createApp } from '../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { createJsonLogger } from '../src/log/logger.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
import { migrate } from '../src/store/migrations.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { Projection } from '../src/projection/projection.ts';
import { keyHistory, listForms } from '../src/projection/verification.ts';
import { localIssuerKeys } from '../src/verify/local-keys.ts';
import { verifyCredential } from '../src/verify/pipeline.ts';
import { localStatusLists } from '../src/verify/status-sources.ts';
import { trustPolicy } from '../src/verify/trust.ts';
import { readinessAssessment } from '../test/http/helpers.ts';
import { opsPerSecond, table, UNLIMITED_RATES } from './measure.ts';

const db = await openPglite();
await migrate(db, await loadMigrations());
const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
const { adminToken } = await bootstrap({ db, kek, now: new Date() }, { demoTenant: false });
await createTenant({ db, kek, now: new Date(), actor: 'bench' }, { id: 'acme', name: 'Acme' });
const config = parseConfig({
  LAUNCHPROOF_ENV: 'test',
  PUBLIC_URL: 'https://issuer.bench',
  ...UNLIMITED_RATES,
});
const app = createApp({ config, kek, clock: () => new Date(), log: createJsonLogger('error'), fetch });
const server = serve({ fetch: (req) => app.fetch(req, { db }), port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const issued = await fetch(`${base}/v1/t/acme/attestations`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] }),
});
const credentials = ((await issued.json()) as { credentials: { format: string; credential: string }[] }).credentials;
// The service's own read model: keys and lists from memory once read.
const projection = new Projection();
const env = () => ({
  keys: localIssuerKeys(config.publicUrl, (tenant) => keyHistory(projection, db, tenant)),
  statusLists: localStatusLists(config.publicUrl, (tenant, list) => listForms(projection, db, tenant, list)),
  isTrusted: trustPolicy(config.publicUrl, []),
  now: new Date(),
  skewSeconds: 60,
});

const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
const data = new TextEncoder().encode('x'.repeat(2048));
const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data);
const verifies = await opsPerSecond(() => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pair.publicKey, signature, data));

const rows = [];
for (const c of credentials) {
  const check = await verifyCredential(c.credential, env());
  if (!check.verified) throw new Error(`${c.format} did not verify: ${JSON.stringify(check.checks)}`);
  rows.push({
    name: `verify ${c.format} in process`,
    perSecond: await opsPerSecond(() => verifyCredential(c.credential, env()), 3_000),
    baseline: verifies,
    baselineName: 'WebCrypto ES256 verify',
  });
  rows.push({
    name: `verify ${c.format} through POST /v1/verify`,
    perSecond: await opsPerSecond(async () => {
      const res = await fetch(`${base}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ credential: c.credential }),
      });
      if (!((await res.json()) as { verified: boolean }).verified) throw new Error('not verified');
    }, 3_000),
    baseline: verifies,
    baselineName: 'WebCrypto ES256 verify',
  });
}
console.log(
  `launchproof verification benchmark (${readinessAssessment().results.length} control results per credential, PGlite, Node ${process.version})\n`,
);
console.log(table(rows));
server.close();
await db.close();
