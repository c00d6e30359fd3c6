import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL');

/** base64url of exactly 32 random bytes: an AES-256 key. */
const kek = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes encoded as unpadded base64url (43 characters)');

/** Every environment variable the service reads, in one place. */
export const envSchema = z.object({
  LAUNCHPROOF_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: positiveInt(8080).pipe(z.number().max(65535)),
  BIND_ADDRESS: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  // Off behind a pooler that hands one client's statements to several server sessions
  // (PgBouncer in transaction mode without max_prepared_statements): it cannot keep them.
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  DATA_DIR: z.string().min(1).default('.data'),
  // Development only: webhook endpoints on http and on loopback addresses (a receiver on the laptop).
  WEBHOOKS_ALLOW_LOCAL: bool.default(false),
  KEY_ENCRYPTION_KEY: kek.optional(),
  // The KEK being replaced, accepted for opening keys (never for sealing) while `kek rotate` runs.
  KEY_ENCRYPTION_KEY_PREVIOUS: kek.optional(),
  OIDC_ISSUER: httpUrl.optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: httpUrl.optional(),
  OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
  OIDC_TENANT_CLAIM: z.string().min(1).default('tenant'),
  BODY_LIMIT_BYTES: positiveInt(256 * 1024),
  PUBLIC_CACHE_SECONDS: z.coerce.number().int().min(0).default(300),
  ROTATION_CHECK_SECONDS: positiveInt(3600),
  BOOTSTRAP_DEMO_TENANT: bool.optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Issuers trusted beyond this deployment's own tenants: DIDs or https issuer URLs, comma-separated.
  TRUSTED_ISSUERS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(z.array(z.string().regex(/^(did:[a-z0-9]+:\S+|https:\/\/\S+)$/, 'each trusted issuer is a DID or an https URL')))
    .optional(),
  VERIFY_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  VERIFY_RATE_LIMIT_PER_MINUTE: positiveInt(60),
  // /metrics (Node only): a bearer token for it on the public listener, and/or a listener of its own.
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,256}$/, 'must be 32 to 256 printable characters without spaces')
    .optional(),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_BIND_ADDRESS: z.string().min(1).default('127.0.0.1'),
  // Per API key (operator API; issuance is the routes that sign) and per client address (public routes).
  RATE_LIMIT_OPERATOR_PER_MINUTE: positiveInt(600),
  RATE_LIMIT_ISSUANCE_PER_MINUTE: positiveInt(120),
  RATE_LIMIT_PUBLIC_PER_MINUTE: positiveInt(600),
  // How many proxies of ours stand in front: 0/false (default) keys on the connecting address,
  // N on the Nth X-Forwarded-For entry from the right. `true` is refused: the count matters.
  TRUST_PROXY: z
    .string()
    .regex(/^(false|\d{1,2})$/, 'must be false or the number of proxies in front (0-99)')
    .transform((v) => (v === 'false' ? 0 : Number(v)))
    .optional(),
});

export type Env = z.input<typeof envSchema>;
