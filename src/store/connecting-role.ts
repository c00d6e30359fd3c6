import { ConfigError, type Environment } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Database, Queryable } from './port.ts';
import { TENANT_ROLE } from './tenant-scope.ts';

export interface ConnectingRole {
  readonly name: string;
  readonly superuser: boolean;
  readonly bypassRls: boolean;
}

/** Who the service is connected as, read from the catalogue of the database itself. */
export async function connectingRole(db: Queryable): Promise<ConnectingRole> {
  const [row] = await db.query<{ name: string; rolsuper: boolean; rolbypassrls: boolean }>(
    'select rolname as name, rolsuper, rolbypassrls from pg_roles where rolname = current_user',
  );
  if (!row) throw new TypeError('current_user is missing from pg_roles');
  return { name: row.name, superuser: row.rolsuper, bypassRls: row.rolbypassrls };
}

/**
 * Refuses (production) or warns about (elsewhere) a PostgreSQL connection that row-level security
 * does not bind. Tenant transactions are confined anyway (they SET ROLE to the tenant role), but
 * everything else runs as the connecting role: the operations across tenants, and any statement
 * that undoes the role switch. A superuser or BYPASSRLS role turns those into unguarded access
 * to every tenant, and a superuser can do much more besides.
 *
 * PGlite is exempt: it always runs as its superuser and has no server in front of its files,
 * so whoever runs the process already holds every row; there is no less-privileged role to ask for.
 */
export async function guardConnectingRole(db: Database, environment: Environment, log: Logger): Promise<void> {
  if (db.engine === 'pglite') return;
  const role = await connectingRole(db);
  const power = [role.superuser && 'SUPERUSER', role.bypassRls && 'BYPASSRLS'].filter((p): p is string => p !== false);
  if (power.length === 0) return;
  const problem =
    `DATABASE_URL (Hyperdrive on Workers): connects as ${role.name}, which has ${power.join(' and ')}, so row-level security does not bind it; ` +
    `connect as an ordinary role that owns the schema (member of ${TENANT_ROLE}; see README "Database roles")`;
  if (environment === 'production') throw new ConfigError([problem]);
  log.warn('database role bypasses row-level security (refused in production)', { role: role.name, attributes: power });
}
