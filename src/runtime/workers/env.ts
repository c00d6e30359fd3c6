import type { Env as ConfigVariables } from '../../config/schema.ts';

/**
 * Settings that only mean something to the Node process (a port to bind, a data directory, a
 * DATABASE_URL, the rotation timer): on Workers the platform owns those concerns.
 */
type NodeOnly = 'PORT' | 'BIND_ADDRESS' | 'DATABASE_URL' | 'DATA_DIR' | 'ROTATION_CHECK_SECONDS';

/**
 * The Worker's bindings: Hyperdrive for PostgreSQL, and the configuration variables as strings
 * (`[vars]` in wrangler.toml, KEY_ENCRYPTION_KEY as a secret). Derived from the config schema
 * so a new setting cannot be forgotten here.
 */
export type Env = { readonly HYPERDRIVE: Hyperdrive } & {
  readonly [K in Exclude<keyof ConfigVariables, NodeOnly>]?: string;
};
