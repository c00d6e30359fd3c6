import type { MiddlewareHandler } from 'hono';
import { looksLikeApiKey } from '../../auth/api-keys.ts';
import { apiKeyPrincipalFrom, tenantExists as tenantExistsIn } from '../../projection/credentials.ts';
import { canActOnTenant, type Principal, type Role } from '../../auth/principal.ts';
import { AppError } from '../../errors/index.ts';
import { PLATFORM_TENANT_ID, TENANT_ID_PATTERN } from '../../tenants/tenant-id.ts';
import type { AppEnv } from '../context.ts';
import { redactPath } from '../redact-path.ts';
import { refuseIfSpent, take } from './rate-limit.ts';
import { credentialRefused, missingRole, noCredential, notPlatform, otherTenant, type Need } from './auth-refusals.ts';

export type TokenVerifier = (token: string) => Promise<Principal | undefined>;

export interface GuardOptions {
  /** Any one of these roles admits the caller. */
  readonly roles: readonly Role[];
  /** Read the `{tenant}` path parameter and require the caller to be of it (or of the platform). */
  readonly tenantParam?: boolean;
  /** Only credentials of the platform itself (operators of the whole deployment). */
  readonly platformOnly?: boolean;
  /** Which per-key rate limit the route counts against: `issuance` for routes that sign or lead to signing. */
  readonly limit?: 'operator' | 'issuance';
}

/**
 * Authentication and authorisation for the operator API, failing closed at each step and in
 * this order: who are you (401), may you do this (403), does it exist (404). Checking the
 * tenant's existence last means a key of tenant A learns nothing about tenant B, not even
 * whether it exists.
 */
/** What each guard admits, so the API reference documents the roles the code enforces, not a copy of them. */
const REQUIREMENTS = new WeakMap<object, GuardOptions>();

/** The requirement a middleware enforces, when it is a guard. */
export function guardRequirement(middleware: unknown): GuardOptions | undefined {
  return typeof middleware === 'function' ? REQUIREMENTS.get(middleware) : undefined;
}

export function guard(oidc: TokenVerifier | undefined, options: GuardOptions): MiddlewareHandler<AppEnv> {
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const tenantId = options.tenantParam ? (c.req.param('tenant') ?? '') : undefined;
    const need: Need = {
      method: c.req.method,
      path: redactPath(c.req.path),
      roles: options.roles,
      tenantId,
      platformOnly: options.platformOnly ?? false,
    };
    // An address that has spent its quota of refused credentials is refused before any lookup:
    // each guess would cost a database transaction or a call to the IdP.
    const limits = c.get('keyLimits');
    const address = limits ? `addr:${limits.clientAddress(c)}` : undefined;
    const spent = limits && address ? refuseIfSpent(c, limits.unauthenticated, address, limits.clock()) : undefined;
    if (spent) return spent;
    /** The 401 for a missing or refused credential, counted against the address (a 429 once spent). */
    const refuse = (e: AppError): Response => {
      const taken = limits && address ? take(c, limits.unauthenticated, address, limits.clock()) : undefined;
      if (taken?.refused) return taken.refused;
      throw e;
    };
    // RFC 9110 §11.1: the scheme name is case-insensitive and 1*SP separates it from the token.
    const m = /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(header);
    if (!m) return refuse(noCredential(need));
    const token = m[1]!;
    const isApiKey = looksLikeApiKey(token);
    const checkTenant = tenantId !== undefined && TENANT_ID_PATTERN.test(tenantId);
    // Both from the projection: no round trip in steady state, and what they reveal is still
    // decided in the order below.
    const projection = c.get('projection')!;
    const [keyPrincipal, exists] = await Promise.all([
      isApiKey ? apiKeyPrincipalFrom(projection, c.env.db, token) : undefined,
      checkTenant ? tenantExistsIn(projection, c.env.db, tenantId) : false,
    ]);
    const looked = { keyPrincipal, tenantExists: exists };
    const { tenantExists } = looked;
    const principal = isApiKey ? looked.keyPrincipal : await oidc?.(token);
    if (!principal) return refuse(credentialRefused(need));
    c.set('principal', principal);
    // Counted per credential (its id: a key id or an IdP subject, never the secret), once it is
    // known, and before authorisation, so a flood of refused calls spends the quota too.
    const taken = limits ? take(c, limits[options.limit ?? 'operator'], `${principal.via}:${principal.id}`, limits.clock()) : undefined;
    if (taken?.refused) return taken.refused;

    if (!options.roles.some((r) => principal.roles.has(r))) throw missingRole(need, principal);
    if (options.platformOnly && principal.tenantId !== PLATFORM_TENANT_ID) throw notPlatform(need, principal);
    if (tenantId !== undefined) {
      if (!canActOnTenant(principal, tenantId)) throw otherTenant(tenantId, principal);
      if (!tenantExists) throw new AppError('tenant_not_found', `tenant ${tenantId} does not exist`);
      c.set('tenantId', tenantId);
    }
    await next();
    taken?.stamp();
  };
  REQUIREMENTS.set(middleware, options);
  return middleware;
}
