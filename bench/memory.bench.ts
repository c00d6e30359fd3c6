/**
 * Memory of `launchproof serve` on PGlite (issue 12, point 5: RSS after start ≤ 200 MiB, and no
 * growth over many issuances beyond the projection's bounded cache). The service is set up with
 * its CLI and started as an operator runs it (bench/launchproof-process.ts), then read:
 *   - from outside: VmRSS, anonymous and file-backed, and its peak, from /proc/PID/status, and
 *     the same memory by kind of mapping (V8 pages, WASM memory, malloc arenas...: bench/smaps.ts);
 *   - from inside: V8 heap used / total and external memory, from prom-client's process metrics
 *     at /metrics (served behind a METRICS_TOKEN generated for this run, never printed).
 * after start, after each of BENCH_MEMORY_ROUNDS rounds (default 2) of BENCH_ISSUANCES
 * issuances (default 2,000; vc+jwt, 32 in flight), so a second round shows whether it grows,
 * and after BENCH_MEMORY_IDLE_SECONDS idle (default 120), to tell the heap a load grew and V8
 * gives back from what is held: measured, V8 kept it after 30 s idle and gave it back by 120 s.
 *
 *   node --import tsx bench/memory.bench.ts
 *   BENCH_ISSUANCES=2000 BENCH_MEMORY_ROUNDS=10 node --import tsx bench/memory.bench.ts
 *   BENCH_MEMORY_ENTRY=tsx node --import tsx bench/memory.bench.ts   # bin/launchproof.mjs, no build
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { readinessAssessment } from '../test/http/helpers.ts';
import { BIN } from '../test/support/service-process.ts';
import { cleanUp } from './children.ts';
import { memoryKinds, type MemoryKinds } from './smaps.ts';
import { startLaunchproof, type LaunchproofUnderTest } from './launchproof-process.ts';
import { runLoad } from './load.ts';

const ISSUANCES = Number(process.env.BENCH_ISSUANCES ?? 2_000);
const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 2);
/** Idle after the last round: what V8 then gives back was garbage, what stays is held. */
const IDLE_SECONDS = Number(process.env.BENCH_MEMORY_IDLE_SECONDS ?? 120);
if (!Number.isInteger(ISSUANCES) || ISSUANCES < 1) throw new TypeError('BENCH_ISSUANCES must be a positive integer');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new TypeError('BENCH_MEMORY_ROUNDS must be a positive integer');
if (!Number.isInteger(IDLE_SECONDS) || IDLE_SECONDS < 0) throw new TypeError('BENCH_MEMORY_IDLE_SECONDS must be a whole number');
// What `npm start` runs (the build, then dist/launchproof.js) unless told to run the TypeScript entry through tsx.
const ENTRY = process.env.BENCH_MEMORY_ENTRY === 'tsx' ? BIN : undefined;
const TARGET_MIB = 200;
const started = performance.now();
const progress = (text: string) => process.stderr.write(`memory [${((performance.now() - started) / 1000).toFixed(0)} s]: ${text}\n`);

interface Sample extends MemoryKinds {
  readonly when: string;
  readonly issued: number;
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  readonly peak: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly perSecond?: number;
}

const MiB = 1024 * 1024;

async function procStatus(pid: number): Promise<{ rss: number; anon: number; file: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${key} for process ${pid}`);
    return Number(m[1]) / 1024;
  };
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), peak: kib('VmHWM') };
}

/** prom-client's process metrics, as the service reports them about itself. */
async function heapFigures(
  lp: LaunchproofUnderTest,
  metricsToken: string,
): Promise<{ heapUsed: number; heapTotal: number; external: number }> {
  const res = await fetch(`http://127.0.0.1:${lp.port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const value = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
    if (!m) throw new Error(`/metrics has no ${name}`);
    return Number(m[1]) / MiB;
  };
  return {
    heapUsed: value('nodejs_heap_size_used_bytes'),
    heapTotal: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}

/** Read once the process has been idle a moment: start-up garbage is then collected or it is not. */
async function sample(lp: LaunchproofUnderTest, metricsToken: string, when: string, issued: number, perSecond?: number): Promise<Sample> {
  await delay(1_000);
  const heap = await heapFigures(lp, metricsToken);
  const proc = await procStatus(lp.child.pid);
  const kinds = await memoryKinds(lp.child.pid);
  return { when, issued, ...proc, ...kinds, ...heap, ...(perSecond === undefined ? {} : { perSecond }) };
}

function render(samples: readonly Sample[]): string {
  const f = (n: number) => n.toFixed(1);
  const lines = [
    '| when | issued | VmRSS | anon | file | peak (VmHWM) | V8 pages | WASM memory | malloc arenas | brk | other | heap used | heap total | external | issuances/s | ≤ 200 MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of samples) {
    lines.push(
      `| ${s.when} | ${s.issued.toLocaleString('en-US')} | ${f(s.rss)} | ${f(s.anon)} | ${f(s.file)} | ${f(s.peak)} | ` +
        `${f(s.v8Pages)} | ${f(s.wasm)} | ${f(s.arenas)} | ${f(s.brk)} | ${f(s.other)} | ${f(s.heapUsed)} | ` +
        `${f(s.heapTotal)} | ${f(s.external)} | ${s.perSecond === undefined ? '' : s.perSecond.toFixed(0)} | ${s.rss <= TARGET_MIB ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<string> {
  const metricsToken = randomBytes(32).toString('base64url');
  progress('setting up a data directory with the CLI and starting `launchproof serve` on PGlite');
  const lp = await startLaunchproof(undefined, { serveEnv: { METRICS_TOKEN: metricsToken }, ...(ENTRY ? { entry: ENTRY } : {}) });
  const ready = await fetch(`http://127.0.0.1:${lp.port}/readyz`);
  if (!ready.ok) throw new Error(`/readyz answered ${ready.status}`);
  const samples = [await sample(lp, metricsToken, 'after start', 0)];

  const body = Buffer.from(JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt'] }));
  const request = {
    method: 'POST' as const,
    path: `/v1/t/${lp.tenant}/attestations`,
    headers: { authorization: `Bearer ${lp.token}`, 'content-type': 'application/json' },
    body,
    expect: 201,
  };
  let issued = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    progress(`round ${round} of ${ROUNDS}: ${ISSUANCES} issuances (vc+jwt, 32 in flight)`);
    const t0 = performance.now();
    const r = await runLoad(lp.port, request, { concurrency: 32, total: ISSUANCES });
    const perSecond = (r.ok * 1000) / (performance.now() - t0);
    if (r.errors > 0) throw new Error(`${r.errors} issuances failed, first: ${r.firstError ?? '?'}`);
    issued += r.ok;
    samples.push(await sample(lp, metricsToken, `after round ${round}`, issued, perSecond));
  }
  if (IDLE_SECONDS > 0) {
    progress(`idle for ${IDLE_SECONDS} s`);
    await delay(IDLE_SECONDS * 1000);
    samples.push(await sample(lp, metricsToken, `after ${IDLE_SECONDS} s idle`, issued));
  }
  await lp.child.stop();
  return [
    `launchproof memory on PGlite (issue 12, point 5): \`serve\` from ${ENTRY ? 'bin/launchproof.mjs (tsx)' : 'dist/launchproof.js, as npm start runs it'}, Node ${process.version}, MiB; ` +
      `${ROUNDS} rounds of ${ISSUANCES.toLocaleString('en-US')} issuances (vc+jwt, c32)`,
    '',
    render(samples),
  ].join('\n');
}

try {
  console.log(await main());
} finally {
  await cleanUp();
}
