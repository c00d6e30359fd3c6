/**
 * Browser benchmark (issue 10): in a real Chromium, the time from dropping a credential file on
 * /verify to the verdict on the page, for each format (median of RUNS, each in a fresh page; the
 * page fetches the issuer's trust bundle, its status lists and notice, and runs the pipeline),
 * beside the same credential verified in Node in the same run: the server's in-process pipeline,
 * and the page's own code (src/web) fetching over loopback. Then what the page costs to load:
 * HTML, CSS and JS as transferred, and the JS gzipped.
 */
import { Projection } from '../src/projection/projection.ts';
import { logSequencerFor } from '../src/use-cases/log-sequencer.ts';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Context } from 'hono';
import type { Page } from 'playwright-core';
import { parseConfig } from '../src/config/index.ts';
import { createApp } from '../src/http/app.ts';
import type { AppEnv } from '../src/http/context.ts';
import { publicVerifier } from '../src/http/verifier.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../src/keys/key-crypto.ts';
import { createJsonLogger } from '../src/log/logger.ts';
import { loadMigrations } from '../src/runtime/node/migration-files.ts';
import { buildWebAssets } from '../src/runtime/node/web-assets.ts';
import { openPglite } from '../src/runtime/pglite/database.ts';
import { migrate } from '../src/store/migrations.ts';
import { bootstrap } from '../src/use-cases/bootstrap.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { credentialFromText } from '../src/verify/credential-text.ts';
import { verifyOnline } from '../src/web/verify-online.ts';
import { verifyCredential } from '../src/verify/pipeline.ts';
import { readinessAssessment } from '../test/http/helpers.ts';
import { chromiumInstalled, launchChromium } from '../test/browser/chromium.ts';
import { UNLIMITED_RATES } from './measure.ts';

const RUNS = 9;

if (!chromiumInstalled()) {
  console.log('browser benchmark skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)');
  process.exit(0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** Warm-ups (the JIT and the caches settle), then the median of RUNS timings in milliseconds. */
async function medianMs(run: () => Promise<number>, warmUps: number): Promise<number> {
  for (let i = 0; i < warmUps; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await run());
  return median(times);
}
const timed = async (fn: () => Promise<unknown>) => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

const db = await openPglite();
await migrate(db, await loadMigrations());
const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
const { adminToken } = await bootstrap({ db, kek, now: new Date() }, { demoTenant: false });
await createTenant({ db, kek, now: new Date(), actor: 'bench' }, { id: 'acme', name: 'Acme Corp' });
const webAssets = await buildWebAssets();
const built: { app?: ReturnType<typeof createApp> } = {};
// Listening first: the origin the credentials name has to carry the port.
const server = serve({
  fetch: (req) => built.app!.fetch(req, { db }),
  port: 0,
  hostname: '127.0.0.1',
});
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const config = parseConfig({
  LAUNCHPROOF_ENV: 'test',
  PUBLIC_URL: origin,
  ...UNLIMITED_RATES,
});
const deps = {
  config,
  kek,
  clock: () => new Date(),
  log: createJsonLogger('error'),
  fetch,
  webAssets,
  projection: new Projection(),
  logSequencer: logSequencerFor(kek, config.publicUrl, () => new Date()),
};
built.app = createApp(deps);

const issued = await fetch(`${origin}/v1/t/acme/attestations`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] }),
});
if (issued.status !== 201) throw new Error(`issuance failed: ${issued.status} ${await issued.text()}`);
const credentials = ((await issued.json()) as { credentials: { format: string; credential: string }[] }).credentials;

// The server's own environment for a request, as POST /v1/verify builds it.
const serverVerifier = publicVerifier(deps);
const serverEnvironment = () => serverVerifier.environment({ env: { db } } as unknown as Context<AppEnv>);
const pageDeps = { origin: new URL(origin), fetch: (url: string, init?: RequestInit) => fetch(url, init), clock: () => new Date() };

const browser = await launchChromium();

/** Drops the credential as a file on the form and resolves with the milliseconds until the verdict is on the page. */
async function dropToVerdict(page: Page, credential: string): Promise<number> {
  await page.goto(`${origin}/verify`);
  const ms = await page.evaluate(
    (text) =>
      new Promise<number>((resolve, reject) => {
        const report = document.getElementById('report')!;
        const form = document.getElementById('verify-form')!;
        const observer = new MutationObserver(() => {
          const root = report.querySelector('[data-verdict]');
          if (!root) return;
          observer.disconnect();
          const elapsed = performance.now() - start;
          if (root.getAttribute('data-verdict') === 'verified') resolve(elapsed);
          else reject(new Error(`not verified: ${root.getAttribute('data-failed-check')}`));
        });
        observer.observe(report, { childList: true, subtree: true, attributes: true });
        const data = new DataTransfer();
        data.items.add(new File([text], 'credential.txt', { type: 'text/plain' }));
        const start = performance.now();
        form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      }),
    credential,
  );
  return ms;
}

const rows: string[] = [];
for (const c of credentials) {
  const check = await verifyCredential(c.credential, serverEnvironment());
  if (!check.verified) throw new Error(`${c.format} did not verify in Node: ${JSON.stringify(check.checks)}`);
  const context = await browser.newContext();
  const page = await context.newPage();
  const inBrowser = await medianMs(() => dropToVerdict(page, c.credential), 2);
  await context.close();
  const inProcess = await medianMs(() => timed(() => verifyCredential(c.credential, serverEnvironment())), 5);
  const pageCodeInNode = await medianMs(
    () =>
      timed(async () => {
        const outcome = await verifyOnline(credentialFromText(c.credential), pageDeps);
        if (outcome.kind !== 'judged' || !outcome.result.verified)
          throw new Error(`${c.format}: the page's code did not verify it in Node`);
      }),
    5,
  );
  rows.push(
    `| ${c.format} | ${inBrowser.toFixed(1)} | ${inProcess.toFixed(1)} | ${(inBrowser / inProcess).toFixed(1)} | ${pageCodeInNode.toFixed(1)} |`,
  );
}

// What a first visit to /verify transfers: every response, grouped by kind.
const context = await browser.newContext();
const page = await context.newPage();
const pending: Promise<{ kind: string; bytes: number; body: Buffer; encoding: string | undefined }>[] = [];
page.on('response', (response) =>
  pending.push(
    (async () => {
      const sizes = await response.request().sizes();
      return {
        kind: response.request().resourceType(),
        bytes: sizes.responseHeadersSize + sizes.responseBodySize,
        body: await response.body().catch(() => Buffer.alloc(0)),
        encoding: (await response.allHeaders())['content-encoding'],
      };
    })(),
  ),
);
await page.goto(`${origin}/verify`, { waitUntil: 'networkidle' });
const transferred = await Promise.all(pending);
await context.close();
const byKind = (kind: string) => transferred.filter((t) => t.kind === kind);
const sum = (xs: { bytes: number }[]) => xs.reduce((n, x) => n + x.bytes, 0);
const scripts = byKind('script');
const jsBody = Buffer.concat(scripts.map((s) => s.body));
const gzipped = gzipSync(jsBody).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

console.log(
  `launchproof in the browser (Chromium ${browser.version()}, Node ${process.version}, PGlite, median of ${RUNS} runs after warm-ups)\n`,
);
console.log(
  '| format | Chromium: drop → verdict (ms) | Node: in-process pipeline, same run (ms) | ratio | Node: the page’s code over loopback HTTP (ms) |',
);
console.log('|---|---:|---:|---:|---:|');
console.log(rows.join('\n'));
const encodings = [...new Set(transferred.map((t) => t.encoding ?? 'none'))].join(', ');
console.log(`\nFirst load of /verify (transferred: headers + body as the browser received them; content-encoding: ${encodings})\n`);
console.log('| part | transferred | files |');
console.log('|---|---:|---:|');
for (const [label, kind] of [
  ['HTML', 'document'],
  ['CSS', 'stylesheet'],
  ['JS', 'script'],
] as const)
  console.log(`| ${label} | ${kb(sum(byKind(kind)))} | ${byKind(kind).length} |`);
console.log(`| total | ${kb(sum(transferred))} | ${transferred.length} |`);
console.log(`| JS gzipped (zlib default level, beside its ${kb(jsBody.length)} body) | ${kb(gzipped)} | ${scripts.length} |`);

await browser.close();
server.close();
await db.close();
