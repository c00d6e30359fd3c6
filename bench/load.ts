/**
 * The load generator of the side-by-side benchmark: N requests in flight over keep-alive
 * connections (node:http, one socket per request in flight), for a fixed time after a short
 * warm-up or for a fixed count. Every answer is checked; a wrong status (or a body that fails
 * the caller's check) is counted and reported, never silently folded into the rate.
 */
import { Agent, request } from 'node:http';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** The status every answer must have (200 unless said). */
  readonly expect?: number;
  /** A further check of the body; given, the body is collected (otherwise it is drained unread). */
  readonly check?: (body: string) => boolean;
}

export interface LoadResult {
  /** Answers that passed the checks, per second of the measured phase. */
  readonly perSecond: number;
  readonly ok: number;
  readonly errors: number;
  /** The first failure seen, for the report (status and the start of the body, or the socket error). */
  readonly firstError?: string;
  /** Latency percentiles of the passing answers, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
}

export type LoadPlan =
  | { readonly concurrency: number; readonly durationMs: number; readonly warmupMs: number }
  | { readonly concurrency: number; readonly total: number };

interface Outcome {
  ok: boolean;
  error?: string;
}

function once(agent: Agent, port: number, req: LoadRequest): Promise<Outcome> {
  const expect = req.expect ?? 200;
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const collect = req.check !== undefined || res.statusCode !== expect;
      res.on('data', (d: Buffer) => {
        if (collect) chunks.push(d);
      });
      res.on('error', (e) => resolve({ ok: false, error: `response error: ${e.message}` }));
      res.on('end', () => {
        const body = collect ? Buffer.concat(chunks).toString() : '';
        if (res.statusCode !== expect) resolve({ ok: false, error: `status ${res.statusCode}: ${body.slice(0, 200)}` });
        else if (req.check && !req.check(body)) resolve({ ok: false, error: `body check failed: ${body.slice(0, 200)}` });
        else resolve({ ok: true });
      });
    });
    r.on('error', (e) => resolve({ ok: false, error: `request error: ${e.message}` }));
    r.end(req.body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `req` against 127.0.0.1:`port` as `plan` says. */
export async function runLoad(port: number, req: LoadRequest, plan: LoadPlan): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  try {
    let latencies: number[] = [];
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    let measuring = !('warmupMs' in plan);
    let issued = 0;
    let stopAt = Infinity;
    const more = () => ('total' in plan ? issued < plan.total : performance.now() < stopAt);
    const worker = async () => {
      while (more()) {
        issued++;
        const start = performance.now();
        const outcome = await once(agent, port, req);
        if (!measuring) continue;
        if (outcome.ok) {
          ok++;
          latencies.push(performance.now() - start);
        } else {
          errors++;
          firstError ??= outcome.error;
        }
      }
    };
    if ('warmupMs' in plan) {
      stopAt = performance.now() + plan.warmupMs;
      await Promise.all(Array.from({ length: plan.concurrency }, worker));
      measuring = true;
      latencies = [];
      stopAt = performance.now() + plan.durationMs;
    }
    const started = performance.now();
    await Promise.all(Array.from({ length: plan.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const sorted = Float64Array.from(latencies).sort();
    return { perSecond: ok / seconds, ok, errors, firstError, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  } finally {
    agent.destroy();
  }
}
