import type { Principal, Role } from '../../auth/principal.ts';
import { AppError } from '../../errors/index.ts';
import { TENANT_ID_PATTERN } from '../../tenants/tenant-id.ts';

/**
 * What a 401 or 403 tells the caller (issue 11, defect 13: they named neither the role nor the
 * tenant). Built only from what the caller sent (method, path, tenant in the path) and the
 * route's own requirements, never from a lookup: an unauthenticated caller reads the same words
 * for a tenant that exists and for one that does not, so the text is no existence oracle.
 */
export interface Need {
  readonly method: string;
  readonly path: string;
  readonly roles: readonly Role[];
  /** The `{tenant}` of the path, when the route has one. */
  readonly tenantId: string | undefined;
  readonly platformOnly: boolean;
}

const roleText = (roles: readonly Role[]) => (roles.length === 1 ? `the role ${roles[0]}` : `one of the roles ${roles.join(', ')}`);

/** A tenant id is echoed only in its valid shape: anything else in that segment stays unsaid. */
const tenantText = (n: Need) =>
  n.platformOnly
    ? ', on a platform credential'
    : n.tenantId !== undefined && TENANT_ID_PATTERN.test(n.tenantId)
      ? `, for tenant ${n.tenantId}`
      : '';

const needs = (n: Need) =>
  `${n.method} ${n.path} needs a bearer credential (an API key or an operator token) with ${roleText(n.roles)}${tenantText(n)}.`;

export function noCredential(n: Need): AppError {
  return new AppError('unauthenticated', 'no bearer credential', { publicDetail: needs(n) });
}

export function credentialRefused(n: Need): AppError {
  return new AppError('unauthenticated', 'credential not accepted', {
    publicDetail: `The bearer credential was not accepted (unknown, revoked or expired). ${needs(n)}`,
  });
}

export function missingRole(n: Need, p: Principal): AppError {
  const has = [...p.roles];
  const held = has.length === 0 ? 'no role' : has.length === 1 ? `the role ${has[0]}` : `the roles ${has.join(', ')}`;
  return new AppError('forbidden', `${p.id} lacks role ${n.roles.join('|')}`, {
    publicDetail: `${n.method} ${n.path} needs ${roleText(n.roles)}${tenantText(n)}; this credential has ${held}.`,
  });
}

export function notPlatform(n: Need, p: Principal): AppError {
  return new AppError('forbidden', `${p.id} is not a platform credential`, {
    publicDetail: `${n.method} ${n.path} needs a platform credential with ${roleText(n.roles)}; this credential is of tenant ${p.tenantId}.`,
  });
}

export function otherTenant(tenantId: string, p: Principal): AppError {
  return new AppError('forbidden', `${p.id} may not act on tenant ${tenantId}`, {
    publicDetail: `This credential is of tenant ${p.tenantId} and may not act on tenant ${tenantId}.`,
  });
}
