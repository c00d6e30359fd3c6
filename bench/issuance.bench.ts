/**
 * Issuance benchmark (issues 3 and 4): attestations per second for each format, end to end over
 * real HTTP on loopback (Node server, PGlite; each credential's random status-list slot and its
 * record stored in the same transaction), beside raw WebCrypto ES256 signatures per second
 * measured in the same run.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../src/config/index.ts';
import { createApp } from '../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { createJsonLogger } from '../src/log/logger.ts';
import { migrate } from '../src/store/migrations.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
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

const assessment = readinessAssessment();
const issue = (formats: string[]) => async () => {
  const res = await fetch(`${base}/v1/t/acme/attestations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ assessment, formats }),
  });
  if (res.status !== 201) throw new Error(`issuance answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
};

const { privateKey } = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])) as CryptoKeyPair;
const payload = new TextEncoder().encode('x'.repeat(2048));
const signs = await opsPerSecond(() => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, payload));

const rows = [];
for (const formats of [['vc+jwt'], ['jwt_vc_json'], ['dc+sd-jwt'], ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt']]) {
  rows.push({
    name: `issue ${formats.join(' + ')} (HTTP, stored)`,
    perSecond: await opsPerSecond(issue(formats), 3_000),
    baseline: signs,
    baselineName: 'WebCrypto ES256 sign',
  });
}
console.log(
  `launchproof issuance benchmark (${assessment.results.length} control results per attestation, PGlite, Node ${process.version})\n`,
);
console.log(table(rows));
server.close();
await db.close();
