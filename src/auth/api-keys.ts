import { AppError } from '../errors/index.ts';
import { recordEvent, type Actor } from '../audit/events.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { base64urlEncode } from '../util/base64url.ts';
import { sha256Hex } from '../util/sha256.ts';
import type { Principal, Role } from './principal.ts';
import { apiKeyInfo, apiKeysOfTenant, insertApiKeyRow, markApiKeyRevoked, type ApiKeyInfo, type ApiKeyRecord } from './store.ts';

/**
 * Operator API keys look like `lp_<id>_<secret>`: 16 alphanumerics of lookup id, then 256
 * random bits. Only the SHA-256 of the whole token is stored. A fast hash is right here: the
 * secret has 256 bits of entropy, so there is nothing for a slow hash to protect.
 */
const TOKEN = /^lp_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('lp_');
}

function randomId(): string {
  // 62 * 4 = 248: rejecting bytes >= 248 keeps every character equally likely.
  let id = '';
  while (id.length < 16) {
    for (const b of crypto.getRandomValues(new Uint8Array(24))) {
      if (b < 248 && id.length < 16) id += ID_ALPHABET[b % 62];
    }
  }
  return id;
}

const hashToken = sha256Hex;

/** Compares without an early exit, so timing says nothing about how much of the hash matched. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Inserts a new key in the caller's transaction and returns its token: the only time the
 * secret exists outside the caller's hands.
 */
export async function insertApiKey(
  tx: Queryable,
  deps: { now: Date; actor: Actor },
  input: { tenantId: string; roles: readonly Role[]; label?: string },
): Promise<{ key: ApiKeyInfo; token: string }> {
  const id = randomId();
  const token = `lp_${id}_${base64urlEncode(crypto.getRandomValues(new Uint8Array(32)))}`;
  const roles = [...new Set(input.roles)].sort();
  const key = await insertApiKeyRow(tx, {
    id,
    tenantId: input.tenantId,
    secretHash: await hashToken(token),
    roles,
    label: input.label ?? '',
    createdAt: deps.now,
  });
  await recordEvent(tx, {
    tenantId: input.tenantId,
    at: deps.now,
    actor: deps.actor,
    action: 'api_key.created',
    target: id,
    detail: { roles },
  });
  return { key, token };
}

export function createApiKey(
  deps: { db: Database; now: Date; actor: Actor },
  input: { tenantId: string; roles: readonly Role[]; label?: string },
): Promise<{ key: ApiKeyInfo; token: string }> {
  return withTenant(deps.db, input.tenantId, (tx) => insertApiKey(tx, deps, input));
}

export function listApiKeys(db: Database, tenantId: string): Promise<ApiKeyInfo[]> {
  return withTenant(db, tenantId, (tx) => apiKeysOfTenant(tx, tenantId));
}

/** Revokes a key; revoking it again answers the same record and records nothing new. */
export async function revokeApiKey(deps: { db: Database; now: Date; actor: Actor }, tenantId: string, id: string): Promise<ApiKeyInfo> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const revoked = await markApiKeyRevoked(tx, tenantId, id, deps.now);
    if (revoked) {
      await recordEvent(tx, { tenantId, at: deps.now, actor: deps.actor, action: 'api_key.revoked', target: id });
      return revoked;
    }
    const existing = await apiKeyInfo(tx, tenantId, id);
    if (!existing) throw new AppError('api_key_not_found', `tenant ${tenantId} has no API key ${id}`);
    return existing;
  });
}

// Authentication (the projection's cache of it) reads stored keys through this module, the auth
// domain's own face; the rows and their SQL are store.ts's.
export { findApiKey, findApiKeyAnywhere } from './store.ts';
export type { ApiKeyInfo, ApiKeyRecord } from './store.ts';

/** The key id a token names, or undefined when it is not shaped like one of our tokens. */
export function apiKeyIdOf(token: string): string | undefined {
  return TOKEN.exec(token)?.[1];
}

/** The principal a presented token authenticates as against its stored record, or undefined for anything not a live key. */
export async function principalOf(token: string, record: ApiKeyRecord | undefined): Promise<Principal | undefined> {
  const presented = await hashToken(token);
  if (!record || record.revoked || !constantTimeEqual(presented, record.secretHash)) return undefined;
  return { id: `api_key:${record.id}`, via: 'api_key', tenantId: record.tenantId, roles: new Set(record.roles) };
}
