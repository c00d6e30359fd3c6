import { PLATFORM_TENANT_ID } from '../tenants/tenant-id.ts';

export const ROLES = ['admin', 'issuer', 'status', 'keys', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling, after authentication. `id` is safe to log (a key id or IdP subject, never a secret). */
export interface Principal {
  readonly id: string;
  readonly via: 'api_key' | 'oidc';
  /** The tenant the credential belongs to; `_platform` for operators of the whole deployment. */
  readonly tenantId: string;
  readonly roles: ReadonlySet<Role>;
}

/** A platform credential acts on any tenant with the roles it holds; a tenant's only on its own. */
export function canActOnTenant(p: Principal, tenantId: string): boolean {
  return p.tenantId === PLATFORM_TENANT_ID || p.tenantId === tenantId;
}
