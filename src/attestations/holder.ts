import { AppError } from '../errors/index.ts';
import { base64urlDecode } from '../util/base64url.ts';
import type { IssueRequest } from './issue-request.ts';

export interface Holder {
  readonly jwk?: Record<string, unknown>;
  readonly did?: string;
}

/**
 * A did:jwk carries its key in the identifier itself, so an SD-JWT VC can be bound (`cnf`) to
 * it with no resolution; other DID methods name a holder but give us no key to bind.
 */
function didJwkKey(did: string): Record<string, unknown> | undefined {
  const m = /^did:jwk:([A-Za-z0-9_-]+)$/.exec(did);
  if (!m) return undefined;
  try {
    const jwk = JSON.parse(new TextDecoder().decode(base64urlDecode(m[1]!))) as Record<string, unknown>;
    if ('d' in jwk) return undefined;
    return jwk;
  } catch {
    return undefined;
  }
}

export function resolveHolder(request: IssueRequest): Holder | undefined {
  const h = request.holder;
  if (!h) return undefined;
  if ('jwk' in h) return { jwk: { ...h.jwk } };
  const jwk = didJwkKey(h.did);
  if (request.formats.includes('dc+sd-jwt') && !jwk) {
    throw new AppError('invalid_request', 'an SD-JWT VC binds to a key', {
      fields: [{ pointer: '/holder/did', detail: 'to bind an SD-JWT VC, give the holder public JWK or a did:jwk' }],
    });
  }
  return { did: h.did, ...(jwk ? { jwk } : {}) };
}
