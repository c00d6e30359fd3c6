/**
 * Work that outlives the request that started it (re-signing a status list after a change).
 * The Node entry keeps one so shutdown waits for it; tests await `settled()` to observe the
 * result. On Workers the entry hands the same promises to `waitUntil` instead.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();

  track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
  }

  /** Resolves once nothing is pending, including work started by work that was pending. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
