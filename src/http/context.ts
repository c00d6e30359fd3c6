import type { Context } from 'hono';
import type { Config } from '../config/index.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import type { Logger } from '../log/logger.ts';
import type { Principal } from '../auth/principal.ts';
import type { FetchLike } from '../auth/oidc.ts';
import type { OutboundEdge } from '../outbound/edge.ts';
import type { MigrationRecord } from '../store/migration-state.ts';
import type { Database } from '../store/port.ts';
import type { Policy } from './middleware/rate-limit.ts';
import type { WebAssets } from '../web/assets.ts';
import type { Metrics } from '../metrics/port.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { Projection } from '../projection/projection.ts';
import type { HotPaths } from './hot-paths.ts';
import type { SequencerDeps } from '../transparency/sequencer.ts';

/** What the app is built with, once per process (Node) or isolate (Workers). */
export interface AppDeps {
  readonly config: Config;
  readonly kek: KeyEncryptionKey;
  readonly clock: () => Date;
  readonly log: Logger;
  /**
   * Outbound fetch to what the operator configured (identity provider discovery and JWKS), and
   * to what a caller names when `outbound` is absent; tests fake it at this edge.
   */
  readonly fetch: FetchLike;
  /**
   * The edge for requests to URLs someone else names (other issuers' keys and status lists),
   * under the guard of src/outbound/. Node: the edge that pins the checked address
   * (runtime/node/pinned-fetch.ts). Absent (Workers, tests), `fetch` is used as a plain edge.
   */
  readonly outbound?: OutboundEdge;
  /** The browser build of the verification pipeline, made by the runtime at start; absent, the pages work without it. */
  readonly webAssets?: WebAssets;
  /** Where request, issuance, verification and key events are counted (Node: prom-client); absent, nothing is. */
  readonly metrics?: Metrics;
  /** The migrations this build expects applied, for the readiness probe (Node reads the files, Workers a manifest built with it). */
  readonly migrations?: readonly MigrationRecord[];
  /** The in-memory read model public reads and verification are served from; createApp makes one when absent (on-read freshness). */
  readonly projection?: Projection;
  /** The tenant logs' sequencer on a connection (use-cases/log-sequencer.ts), the runtime's own so its opened log keys are shared; createApp makes one when absent. */
  readonly logSequencer?: (db: Database) => SequencerDeps;
}

/** AppDeps once createApp has filled in what it defaults. */
export interface ServiceDeps extends AppDeps {
  readonly projection: Projection;
  readonly logSequencer: (db: Database) => SequencerDeps;
}

/** Per-API-key (per-principal) policies: operator routes, and the smaller one of routes that sign. */
export interface KeyLimits {
  readonly operator: Policy;
  readonly issuance: Policy;
  /** Missing or refused credentials on the operator API, per client address: a flood of guesses costs a lookup each. */
  readonly unauthenticated: Policy;
  readonly clientAddress: (c: Context<AppEnv>) => string;
  readonly clock: () => Date;
}

/**
 * Per-request bindings. The database travels with the request rather than the app because on
 * Workers a connection cannot outlive the request that opened it.
 */
export interface AppEnv {
  Bindings: {
    db: Database;
    /** The client's address as the entry point saw it (socket on Node, cf-connecting-ip on Workers): rate limits key on it. */
    clientAddress?: string;
    /** True once the client has hung up before its request was read whole (Node: the socket closed mid-body); see client-closed.ts. */
    clientGone?: () => boolean;
  };
  Variables: {
    requestId: string;
    principal?: Principal;
    tenantId?: string;
    /** The per-credential rate limits the operator guard counts against (set once per app in app.ts). */
    keyLimits?: KeyLimits;
    /** The app's read model, for middleware that is built without the app's deps (the operator guard). */
    projection?: Projection;
    /** Where a route leaves how to answer its path again from memory (hot-paths.ts). */
    hotPaths?: HotPaths;
    /** The problem code a refusal was answered with, for the request metrics. */
    problemCode?: ErrorCode;
  };
}
