/**
 * Fixed one-window-per-key counters, in memory: per process on Node, per isolate on Workers
 * (there it damps a burst rather than enforcing a global quota; a Cloudflare rate-limiting rule
 * does that). A fixed window is the simplest policy the RateLimit fields can state exactly:
 * quota `q` per `w` seconds, `r` left, `t` seconds until the window turns.
 */
export interface WindowState {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Seconds until the window turns and the quota is whole again (at least 1). */
  readonly resetSeconds: number;
}

export class FixedWindows {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly quota: number,
    readonly windowSeconds: number,
    /** Keys held at once; the oldest window is dropped past it, so memory stays bounded under a flood of addresses. */
    readonly maxKeys = 10_000,
  ) {}

  /** Whether `key` has spent its quota in the current window, without counting a request. */
  spent(key: string, now: number): WindowState | undefined {
    const w = this.#windows.get(key);
    const span = this.windowSeconds * 1000;
    if (!w || now - w.start >= span || w.count < this.quota) return undefined;
    return { allowed: false, remaining: 0, resetSeconds: Math.max(1, Math.ceil((w.start + span - now) / 1000)) };
  }

  take(key: string, now: number): WindowState {
    const span = this.windowSeconds * 1000;
    let w = this.#windows.get(key);
    if (!w || now - w.start >= span) {
      this.#windows.delete(key);
      if (this.#windows.size >= this.maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    w.count++;
    return {
      allowed: w.count <= this.quota,
      remaining: Math.max(0, this.quota - w.count),
      resetSeconds: Math.max(1, Math.ceil((w.start + span - now) / 1000)),
    };
  }
}
