import { envSchema } from './schema.ts';

export type Environment = 'development' | 'test' | 'production';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  /** Explicit JWKS location; when absent it is read from the issuer's discovery document. */
  readonly jwksUrl: string | undefined;
  readonly rolesClaim: string;
  readonly tenantClaim: string;
}

/** The parsed, frozen configuration every part of the service receives. */
export interface Config {
  readonly environment: Environment;
  readonly port: number;
  readonly bindAddress: string;
  /** Origin the service is reached at; every DID, issuer URL and `sub` is derived from it. */
  readonly publicUrl: URL;
  readonly databaseUrl: string | undefined;
  /** Whether PostgreSQL statements are sent prepared (DATABASE_PREPARED_STATEMENTS, default true). */
  readonly databasePreparedStatements: boolean;
  readonly dataDir: string;
  /** base64url AES-256 key-encryption key; undefined only where the runtime may generate one. */
  readonly keyEncryptionKey: string | undefined;
  /** The KEK being rotated out: opens keys not yet re-sealed, never seals. */
  readonly previousKeyEncryptionKey: string | undefined;
  readonly oidc: OidcConfig | undefined;
  readonly bodyLimitBytes: number;
  readonly publicCacheSeconds: number;
  readonly rotationCheckSeconds: number;
  readonly bootstrapDemoTenant: boolean;
  readonly logLevel: LogLevel;
  /** Issuers the verifier trusts besides this deployment's own tenants. */
  readonly trustedIssuers: readonly string[];
  readonly verifyClockSkewSeconds: number;
  /** Verifications one client may ask for per minute (the endpoint is public). */
  readonly verifyRateLimitPerMinute: number;
  /** Requests per minute per API key on the operator API, on its issuing routes, and per client address on public routes. */
  readonly rateLimits: { readonly operatorPerMinute: number; readonly issuancePerMinute: number; readonly publicPerMinute: number };
  /** Proxies of ours in front: 0 keys public limits on the connecting address, N on the Nth X-Forwarded-For hop from the right. */
  readonly trustProxy: number;
  readonly metrics: MetricsConfig;
  /** Development only (WEBHOOKS_ALLOW_LOCAL, with an http PUBLIC_URL): webhook endpoints on http and loopback addresses. */
  readonly webhooksAllowLocal: boolean;
}

/** Where /metrics is served (Node only; see docs/metrics.md). */
export interface MetricsConfig {
  /** Required as a bearer token wherever /metrics is served; on the public listener it is served only with one. */
  readonly token: string | undefined;
  /** A listener for /metrics alone; undefined: none. */
  readonly port: number | undefined;
  readonly bindAddress: string;
}

/** Thrown when the environment cannot become a Config. The message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/**
 * Parses the environment once, at an entry point. Production refuses development-only
 * settings here, so a misconfigured deployment never starts rather than running weakly.
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  // Empty strings mean "unset": that is how most orchestrators blank a variable.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.LAUNCHPROOF_ENV === 'production';

  if ((e.OIDC_ISSUER === undefined) !== (e.OIDC_AUDIENCE === undefined)) {
    problems.push('OIDC_ISSUER and OIDC_AUDIENCE: set both to accept identity-provider tokens, or neither');
  }
  if (e.KEY_ENCRYPTION_KEY_PREVIOUS !== undefined) {
    if (e.KEY_ENCRYPTION_KEY === undefined)
      problems.push('KEY_ENCRYPTION_KEY_PREVIOUS: set it only beside KEY_ENCRYPTION_KEY (the new key), while rotating');
    else if (e.KEY_ENCRYPTION_KEY_PREVIOUS === e.KEY_ENCRYPTION_KEY)
      problems.push('KEY_ENCRYPTION_KEY_PREVIOUS: must differ from KEY_ENCRYPTION_KEY');
  }
  if (production) {
    if (!e.PUBLIC_URL) problems.push('PUBLIC_URL: required in production (the origin DIDs and issuer URLs are built from)');
    else if (new URL(e.PUBLIC_URL).protocol !== 'https:')
      problems.push('PUBLIC_URL: must be https in production (did:web resolves over https only)');
    if (!e.KEY_ENCRYPTION_KEY)
      problems.push('KEY_ENCRYPTION_KEY: required in production; a generated key-encryption key is for development only');
    if (e.BOOTSTRAP_DEMO_TENANT === true) problems.push('BOOTSTRAP_DEMO_TENANT: the demo tenant is a development-only setting');
    if (e.WEBHOOKS_ALLOW_LOCAL) problems.push('WEBHOOKS_ALLOW_LOCAL: local webhook endpoints are a development-only setting');
    if (e.OIDC_ISSUER && new URL(e.OIDC_ISSUER).protocol !== 'https:') problems.push('OIDC_ISSUER: must be https in production');
    if (e.OIDC_JWKS_URL && new URL(e.OIDC_JWKS_URL).protocol !== 'https:') problems.push('OIDC_JWKS_URL: must be https in production');
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) problems.push('METRICS_PORT: must differ from PORT');
  // Metrics name tenants and reveal traffic: off the loopback interface they need the token.
  if (e.METRICS_PORT !== undefined && !e.METRICS_TOKEN && !/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(e.METRICS_BIND_ADDRESS)) {
    problems.push('METRICS_BIND_ADDRESS: a metrics listener off the loopback interface needs METRICS_TOKEN');
  }
  // A deployment reached over https is not a laptop: its webhooks go to the public internet only.
  if (e.WEBHOOKS_ALLOW_LOCAL && e.PUBLIC_URL && new URL(e.PUBLIC_URL).protocol === 'https:')
    problems.push('WEBHOOKS_ALLOW_LOCAL: only with an http PUBLIC_URL (local development)');
  if (problems.length > 0) throw new ConfigError(problems);

  const publicUrl = new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`);
  if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash) {
    throw new ConfigError(['PUBLIC_URL: must be an origin only (no path, query or fragment)']);
  }

  const config: Config = {
    environment: e.LAUNCHPROOF_ENV,
    port: e.PORT,
    bindAddress: e.BIND_ADDRESS,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    dataDir: e.DATA_DIR,
    keyEncryptionKey: e.KEY_ENCRYPTION_KEY,
    previousKeyEncryptionKey: e.KEY_ENCRYPTION_KEY_PREVIOUS,
    oidc:
      e.OIDC_ISSUER && e.OIDC_AUDIENCE
        ? Object.freeze({
            issuer: e.OIDC_ISSUER,
            audience: e.OIDC_AUDIENCE,
            jwksUrl: e.OIDC_JWKS_URL,
            rolesClaim: e.OIDC_ROLES_CLAIM,
            tenantClaim: e.OIDC_TENANT_CLAIM,
          })
        : undefined,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    publicCacheSeconds: e.PUBLIC_CACHE_SECONDS,
    rotationCheckSeconds: e.ROTATION_CHECK_SECONDS,
    bootstrapDemoTenant: e.BOOTSTRAP_DEMO_TENANT ?? !production,
    logLevel: e.LOG_LEVEL,
    trustedIssuers: Object.freeze([...(e.TRUSTED_ISSUERS ?? [])]),
    verifyClockSkewSeconds: e.VERIFY_CLOCK_SKEW_SECONDS,
    verifyRateLimitPerMinute: e.VERIFY_RATE_LIMIT_PER_MINUTE,
    metrics: Object.freeze({ token: e.METRICS_TOKEN, port: e.METRICS_PORT, bindAddress: e.METRICS_BIND_ADDRESS }),
    rateLimits: Object.freeze({
      operatorPerMinute: e.RATE_LIMIT_OPERATOR_PER_MINUTE,
      issuancePerMinute: e.RATE_LIMIT_ISSUANCE_PER_MINUTE,
      publicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MINUTE,
    }),
    trustProxy: e.TRUST_PROXY ?? 0,
    webhooksAllowLocal: e.WEBHOOKS_ALLOW_LOCAL,
  };
  return Object.freeze(config);
}
