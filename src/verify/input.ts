import { VCDM2_CONTEXT } from '../credentials/contexts.ts';
import { base64urlUtf8 } from '../util/base64url.ts';
import { jsonDepth, MAX_CREDENTIAL_BYTES, MAX_JSON_DEPTH } from './json-limits.ts';
import { VerificationFailure, type CredentialFormatName } from './result.ts';

/** A credential taken apart, nothing verified yet. */
export interface ParsedCredential {
  readonly format: CredentialFormatName;
  /** The issuer-signed compact JWS. */
  readonly jws: string;
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** SD-JWT only: the disclosures as presented, and the key-binding JWT if there is one. */
  readonly disclosures: readonly string[];
  readonly keyBindingJwt?: string;
  /** SD-JWT only: `<jws>~<disclosure>~…~`, what a key-binding JWT's sd_hash covers. */
  readonly presentedSdJwt?: string;
}

const fail = (code: string, detail: string) => new VerificationFailure('format', code, detail);

/** VCDM 2.0 §4.3: the first `@context` is the 2.0 base context (a single context may stand alone, unwrapped). */
function checkBaseContext(context: unknown, what: string): void {
  const first = Array.isArray(context) ? context[0] : context;
  if (first !== VCDM2_CONTEXT)
    throw fail('not_vcdm2', `${what} is not a VC Data Model 2.0 document: its first @context is not ${VCDM2_CONTEXT}`);
}

/** One base64url segment of a JWS as a JSON object, refused when too deep to walk. */
export function jsonSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(base64urlUtf8(segment));
  } catch {
    throw fail('malformed', `the ${what} is not base64url-encoded JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('malformed', `the ${what} is not a JSON object`);
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw fail('too_deep', `the ${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

function splitJws(jws: string, what: string) {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts.some((p) => /[^A-Za-z0-9_-]/.test(p)) || parts[0] === '' || parts[1] === '') {
    throw fail('malformed', `the ${what} is not a compact JWS`);
  }
  return { header: jsonSegment(parts[0]!, `${what} header`), payload: jsonSegment(parts[1]!, `${what} payload`) };
}

/** VC-API's EnvelopedVerifiableCredential: the secured credential inside a `data:` URL. */
function unwrapEnvelope(input: Record<string, unknown>): string {
  const types = [input.type].flat();
  if (!types.includes('EnvelopedVerifiableCredential') || typeof input.id !== 'string') {
    throw fail('not_a_credential', 'an object must be an EnvelopedVerifiableCredential with a data: URL id');
  }
  // VCDM 2.0 §4.13.1: the envelope is itself a 2.0 document and says so.
  checkBaseContext(input['@context'], 'the envelope');
  const m = /^data:application\/(vc\+jwt|dc\+sd-jwt|vc\+sd-jwt|jwt)(;[^,]*)?,(.*)$/s.exec(input.id);
  if (!m) throw fail('unsupported_format', 'the envelope id is not a data: URL of application/vc+jwt or application/dc+sd-jwt');
  if (m[2]?.includes('base64')) throw fail('unsupported_format', 'a base64 data: URL is not a compact serialisation');
  return decodeURIComponent(m[3]!);
}

/**
 * Takes a credential as a caller hands it over: a compact VC-JWT, a JWT with a `vc` claim, an
 * SD-JWT (with or without a key-binding JWT), or a VC-API envelope of one of these.
 */
export function parseCredential(input: unknown): ParsedCredential {
  const text =
    typeof input === 'object' && input !== null && !Array.isArray(input) ? unwrapEnvelope(input as Record<string, unknown>) : input;
  if (typeof text !== 'string' || text.length === 0) throw fail('not_a_credential', 'expected a compact credential string or an envelope');
  if (text.length > MAX_CREDENTIAL_BYTES) throw fail('too_large', `a credential is at most ${MAX_CREDENTIAL_BYTES} characters`);
  const compact = text.trim();

  if (compact.includes('~')) {
    const segments = compact.split('~');
    const jws = segments[0]!;
    const last = segments.at(-1)!;
    const disclosures = segments.slice(1, -1);
    if (disclosures.some((d) => d === '')) throw fail('malformed', 'an SD-JWT has an empty disclosure');
    const { header, payload } = splitJws(jws, 'issuer-signed JWT');
    const typ = String(header.typ ?? '');
    if (typ !== 'dc+sd-jwt' && typ !== 'vc+sd-jwt')
      throw fail('unsupported_format', `an SD-JWT here is an SD-JWT VC (typ dc+sd-jwt), not typ ${JSON.stringify(header.typ)}`);
    return {
      format: 'dc+sd-jwt',
      jws,
      header,
      payload,
      disclosures,
      ...(last === '' ? {} : { keyBindingJwt: last }),
      presentedSdJwt: `${segments.slice(0, -1).join('~')}~`,
    };
  }

  const { header, payload } = splitJws(compact, 'credential');
  const typ = String(header.typ ?? '');
  if (typ === 'vc+jwt' || typ === 'application/vc+jwt') {
    const types = [payload.type].flat();
    if (!types.includes('VerifiableCredential')) throw fail('malformed', 'a vc+jwt payload must be a VerifiableCredential');
    checkBaseContext(payload['@context'], 'the vc+jwt payload');
    // VC-JOSE-COSE §3.1.3: the payload is the credential itself; `vc` and `vp` claims MUST NOT be present.
    if ('vc' in payload || 'vp' in payload) throw fail('forbidden_claim', 'a vc+jwt payload must not carry a vc or vp claim');
    return { format: 'vc+jwt', jws: compact, header, payload, disclosures: [] };
  }
  if (typeof payload.vc === 'object' && payload.vc !== null && (typ === '' || typ === 'JWT')) {
    return { format: 'jwt_vc_json', jws: compact, header, payload, disclosures: [] };
  }
  if (typ === 'dc+sd-jwt' || typ === 'vc+sd-jwt') throw fail('malformed', 'an SD-JWT ends with "~"');
  throw fail('unsupported_format', `typ ${JSON.stringify(header.typ)} is not a credential format this verifier reads`);
}
