import { AppError } from '../errors/index.ts';
import type { Database, Queryable } from '../store/port.ts';
import { onCommittedChange } from '../store/publication-changes.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import { tenantVersion, versionAndPresence } from './store.ts';

/**
 * The in-memory read model of everything public reads and verification need: documents as the
 * exact bytes served, key histories, signed list copies, notices, API-key records.
 *
 * Each entry is built from one tenant-scoped transaction that also reads the tenant's version
 * (publication_versions, bumped by triggers in the same transaction as any change it depends
 * on), and is served while no newer version is known. How a newer version becomes known is the
 * freshness mode:
 * - `notified` (Node): a LISTEN connection, and on PostgreSQL a poll of the versions' sum, report
 *   every change (src/projection/follow.ts); a steady-state read makes no round trip.
 * - `on-read` (Workers, and any app nobody follows for): before serving a tenant's entries, its
 *   version is read again once they have gone `boundMs` without a check: at most one statement
 *   per tenant per bound, whatever the request rate.
 * Either way this process's own writes are seen at once (store/publication-changes.ts), and no
 * entry outlives `maxAgeMs` or the instant its builder says it changes by the clock alone (a
 * key's retirement window ending, a list copy expiring).
 */

/** What a builder returns: the value, its approximate size in bytes, and when the clock alone outdates it. */
export interface Projected<T> {
  readonly value: T;
  readonly weight: number;
  /** Epoch milliseconds at which the value stops being true without any write (a key state change, an expiry). */
  readonly until?: number;
}

export type Builder<T> = (tx: Queryable) => Promise<Projected<T>>;

export interface ProjectionOptions {
  /** The service's clock (tests move it): what `until` instants are compared with. */
  readonly clock?: () => Date;
  /** Real elapsed time, for the freshness bound and the safety net, whatever the service clock says. */
  readonly elapsed?: () => number;
  /** The freshness bound: how stale an entry may be in `on-read` mode, and the poll period's ceiling in `notified` mode (where it polls). */
  readonly boundMs?: number;
  /** Entries are rebuilt at least this often whatever else happens: a safety net, never the mechanism. */
  readonly maxAgeMs?: number;
  readonly maxEntries?: number;
  readonly maxBytes?: number;
}

interface TenantState {
  /** The newest version of the tenant's data known to exist. */
  known: number;
  /** Bumped by this process's own committed changes: entries and builds of an older generation are void. */
  generation: number;
  /** When the version was last read (on-read mode). */
  checkedAt: number;
  checking?: { readonly done: Promise<void>; readonly startedAt: number };
}

type Outcome = { readonly value: unknown } | { readonly error: AppError };

interface Entry {
  readonly state: TenantState;
  readonly generation: number;
  readonly version: number;
  /** Service-clock instant (ms) at which the clock alone outdates it. */
  readonly until: number;
  /** Elapsed-time instant after which it is rebuilt anyway. */
  readonly expires: number;
  readonly outcome: Outcome;
}

/** Refusals (an unknown tenant, list or key) are remembered like values, so probing for them costs no round trip either. */
const REFUSAL_WEIGHT = 256;
const MAX_TENANT_STATES = 100_000;

/**
 * How long an entry may go without a version check in on-read mode. Below the promised second
 * because the check and the rebuild that follows it take time too (measured in workerd: a change
 * made just after a check showed 935–1,180 ms later with a bound of 1,000).
 */
export const DEFAULT_BOUND_MS = 750;
const JOIN_WINDOW_MS = 5_000;

export interface ProjectionStats {
  hits: number;
  builds: number;
  versionChecks: number;
  entries: number;
  bytes: number;
}

export class Projection {
  mode: 'on-read' | 'notified' = 'on-read';
  readonly boundMs: number;
  private readonly clock: () => Date;
  private readonly elapsed: () => number;
  private readonly maxAgeMs: number;
  private readonly entries: BoundedCache<Entry>;
  private readonly building = new Map<string, { state: TenantState; generation: number; done: Promise<Outcome>; startedAt: number }>();
  private tenants = new Map<string, TenantState>();
  private readonly counts = { hits: 0, builds: 0, versionChecks: 0 };

  constructor(options: ProjectionOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.elapsed = options.elapsed ?? (() => performance.now());
    this.boundMs = options.boundMs ?? DEFAULT_BOUND_MS;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.entries = new BoundedCache(options.maxEntries ?? 50_000, options.maxBytes ?? 48 * 1024 * 1024);
    follow(this);
  }

  /**
   * The value `build` makes for `tenantId` and `key`, from memory while it is current. Throws the
   * AppError the builder threw (cached the same way); `tenant_not_found` when the tenant does not exist.
   */
  async read<T>(db: Database, tenantId: string, key: string, build: Builder<T>): Promise<T> {
    const state = this.stateOf(tenantId);
    if (this.mode === 'on-read' && this.elapsed() - state.checkedAt >= this.boundMs) await this.check(db, tenantId, state);
    const id = `${tenantId}\n${key}`;
    const hit = this.entries.get(id);
    if (hit && this.current(hit, state)) {
      this.counts.hits++;
      return unwrap<T>(hit.outcome);
    }
    const running = this.building.get(id);
    if (running && running.state === state && running.generation === state.generation && this.joinable(running.startedAt)) {
      return unwrap<T>(await running.done);
    }
    const done = this.build(db, tenantId, id, state, build);
    this.building.set(id, { state, generation: state.generation, done, startedAt: this.elapsed() });
    try {
      return unwrap<T>(await done);
    } finally {
      if (this.building.get(id)?.done === done) this.building.delete(id);
    }
  }

  /**
   * The value `read` would answer with from memory alone, at once: undefined where `read` would
   * go to the database first (nothing held, held but outdated, a version check due) or would
   * throw a remembered refusal. For the answers made before routing (http/hot-paths.ts), which
   * leave every other case to the route.
   */
  peek<T>(tenantId: string, key: string): T | undefined {
    const state = this.tenants.get(tenantId);
    if (!state || (this.mode === 'on-read' && this.elapsed() - state.checkedAt >= this.boundMs)) return undefined;
    const hit = this.entries.get(`${tenantId}\n${key}`);
    if (!hit || !this.current(hit, state) || 'error' in hit.outcome) return undefined;
    this.counts.hits++;
    return hit.outcome.value as T;
  }

  /** A version announced by a notification or found by the poll. */
  applyVersion(tenantId: string, version: number): void {
    const state = this.tenants.get(tenantId);
    if (state && version > state.known) state.known = version;
  }

  /** This process committed a change for the tenant: nothing cached or being built from before it may be served. */
  localChange(tenantId: string): void {
    const state = this.tenants.get(tenantId);
    if (state) {
      state.generation++;
      state.checkedAt = -Infinity;
    }
  }

  stats(): ProjectionStats {
    return { ...this.counts, entries: this.entries.size, bytes: this.entries.weight };
  }

  /** Whether an entry may still be served: nothing newer is known, and neither the clock nor the safety net has outdated it. */
  private current(hit: Entry, state: TenantState): boolean {
    return (
      hit.state === state &&
      hit.generation === state.generation &&
      hit.version >= state.known &&
      hit.until > this.clock().getTime() &&
      hit.expires > this.elapsed()
    );
  }

  private stateOf(tenantId: string): TenantState {
    let state = this.tenants.get(tenantId);
    if (!state) {
      // Probes for made-up tenant ids must not grow this without bound. Starting over voids every
      // entry (they hold their state by identity), which costs rebuilds and nothing else.
      if (this.tenants.size >= MAX_TENANT_STATES) this.tenants = new Map();
      state = { known: 0, generation: 0, checkedAt: -Infinity };
      this.tenants.set(tenantId, state);
    }
    return state;
  }

  private check(db: Database, tenantId: string, state: TenantState): Promise<void> {
    if (state.checking && this.joinable(state.checking.startedAt)) return state.checking.done;
    const startedAt = this.elapsed();
    const run: { done?: Promise<void> } = {};
    const done = (async () => {
      try {
        this.counts.versionChecks++;
        const version = await tenantVersion(db, tenantId);
        if (version > state.known) state.known = version;
        state.checkedAt = startedAt;
      } finally {
        if (state.checking?.done === run.done) state.checking = undefined;
      }
    })();
    run.done = done;
    state.checking = { done, startedAt };
    return done;
  }

  /**
   * Concurrent reads share one check or build, unless it has run for long: on Workers work
   * belongs to the request that started it, and a request cut off mid-way leaves a promise that
   * never settles, which later readers must not wait on.
   */
  private joinable(startedAt: number): boolean {
    return this.elapsed() - startedAt < JOIN_WINDOW_MS;
  }

  private async build<T>(db: Database, tenantId: string, id: string, state: TenantState, build: Builder<T>): Promise<Outcome> {
    const generation = state.generation;
    const expires = this.elapsed() + this.maxAgeMs;
    this.counts.builds++;
    let version = 0;
    let outcome: Outcome;
    let until = Infinity;
    try {
      const built = await withTenant(db, tenantId, async (tx) => {
        // The version and the rows come from one snapshot's worth of statements in one transaction:
        // the rows are at least as new as the version recorded with them.
        const found = await versionAndPresence(tx, tenantId);
        version = found.version;
        if (!found.present) throw new AppError('tenant_not_found', `tenant ${tenantId} does not exist`);
        return build(tx);
      });
      outcome = { value: built.value };
      if (built.until !== undefined) until = built.until;
      if (generation === state.generation && this.tenants.get(tenantId) === state) {
        this.entries.set(id, { state, generation, version, until, expires, outcome }, built.weight + id.length);
      }
    } catch (e) {
      // Only refusals are facts about the data; a storage failure is not remembered.
      if (!(e instanceof AppError) || e.code === 'storage_unavailable') throw e;
      outcome = { error: e };
      if (generation === state.generation && this.tenants.get(tenantId) === state) {
        this.entries.set(id, { state, generation, version, until, expires, outcome }, REFUSAL_WEIGHT + id.length);
      }
    }
    if (version > state.known) state.known = version;
    return outcome;
  }
}

function unwrap<T>(outcome: Outcome): T {
  if ('error' in outcome) throw outcome.error;
  return outcome.value as T;
}

/**
 * Every live projection hears this process's committed changes. Held weakly: tests and
 * benchmarks make many apps and never close them.
 */
const live = new Set<WeakRef<Projection>>();
let subscribed = false;

function follow(projection: Projection): void {
  live.add(new WeakRef(projection));
  if (subscribed) return;
  subscribed = true;
  onCommittedChange((tenantId) => {
    for (const ref of live) {
      const p = ref.deref();
      if (p) p.localChange(tenantId);
      else live.delete(ref);
    }
  });
}
