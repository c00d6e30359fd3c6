import type { IssuerKeySource } from './issuer-keys.ts';
import { parseCredential, type ParsedCredential } from './input.ts';
import { checkReadiness, type ProfileSource, type ReadinessClaims } from './readiness.ts';
import { VerificationFailure, type Check, type CheckName, type StatusValue, type VerificationResult } from './result.ts';
import { applyDisclosures, checkKeyBinding, type KeyBindingExpectation } from './sd-jwt.ts';
import { issuerReference, verifySignature } from './signature.ts';
import { bitstringStatus, tokenStatus, type StatusListSource } from './status.ts';
import { checkHeader } from './algorithms.ts';
import { credentialUuid, type NoticeSource } from './notices.ts';
import type { OpenedBundleLog } from './bundle-log.ts';
import { checkCredentialLog, type LogSubject } from './log-check.ts';
import { evidenceWarnings, freshnessRule } from './evidence-freshness.ts';

/**
 * Everything a verification depends on beyond the credential, passed in: the online endpoint
 * and the offline command differ only in these (network or trust bundle, the clock or `--at`).
 */
export interface VerifyEnvironment {
  readonly keys: IssuerKeySource;
  readonly statusLists: StatusListSource;
  readonly isTrusted: (issuer: string) => boolean;
  readonly now: Date;
  /**
   * The instant status lists are judged at, when it is not `now`: offline, the lists come from a
   * trust bundle and were current when it was made, so their freshness is judged then.
   */
  readonly statusAt?: Date;
  /** Tolerated clock difference for every time check, in seconds. */
  readonly skewSeconds: number;
  readonly profiles?: ProfileSource;
  /** The issuer's notices (status date, published reason, supersession); absent offline. */
  readonly notices?: NoticeSource;
  /**
   * Offline only: the trust bundle's transparency log, opened once per bundle (undefined inside:
   * the bundle carries none). Absent: no log check at all, as online.
   */
  readonly log?: () => Promise<OpenedBundleLog | undefined>;
}

export interface VerifyOptions {
  /** Ask for holder binding: an SD-JWT VC must then come with a key-binding JWT for this audience and nonce. */
  readonly keyBinding?: KeyBindingExpectation;
}

/** The issuer, subject, validity and disclosed claims of a credential, by format. */
interface Facts {
  issuer: string;
  subject?: string;
  claims: Record<string, unknown>;
  notBefore?: number;
  notAfter?: number;
  readiness?: ReadinessClaims;
  statusReference?: { kind: 'token'; value: unknown } | { kind: 'bitstring'; value: unknown };
  issuedAt: Date;
  /** The credential's own id (`id` or `jti`), when it has one. */
  credentialId?: string;
}

const seconds = (iso: unknown): number | undefined =>
  typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? Date.parse(iso) / 1000 : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const earliest = (...xs: (number | undefined)[]) => xs.filter((x) => x !== undefined).sort((a, b) => a! - b!)[0];
const latest = (...xs: (number | undefined)[]) => xs.filter((x) => x !== undefined).sort((a, b) => b! - a!)[0];
const objectOr = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function issuerOf(value: unknown): string {
  const id = typeof value === 'string' ? value : objectOr(value).id;
  if (typeof id !== 'string' || id === '') throw new VerificationFailure('format', 'no_issuer', 'the credential names no issuer');
  return id;
}

/** `subject` holds organisation and product; `top` the profile, verdict and results (the same object in the VC formats). */
function readinessOf(subject: Record<string, unknown>, top: Record<string, unknown> = subject): ReadinessClaims | undefined {
  if (!('verdict' in top) || !('profile' in top)) return undefined;
  return {
    subject: subject as ReadinessClaims['subject'],
    profile: objectOr(top.profile) as ReadinessClaims['profile'],
    verdict: objectOr(top.verdict) as ReadinessClaims['verdict'],
    results: objectOr(top.results) as ReadinessClaims['results'],
  };
}

const idOf = (v: unknown): { credentialId?: string } => (typeof v === 'string' && v !== '' ? { credentialId: v } : {});

async function factsOf(p: ParsedCredential): Promise<Facts> {
  const iat = num(p.payload.iat);
  if (p.format === 'vc+jwt') {
    const subject = objectOr([p.payload.credentialSubject].flat()[0]);
    return {
      issuer: issuerOf(p.payload.issuer),
      ...(typeof subject.id === 'string' ? { subject: subject.id } : {}),
      claims: p.payload,
      notBefore: latest(seconds(p.payload.validFrom), num(p.payload.nbf)),
      notAfter: earliest(seconds(p.payload.validUntil), num(p.payload.exp)),
      readiness: readinessOf(subject),
      ...(p.payload.credentialStatus !== undefined
        ? { statusReference: { kind: 'bitstring' as const, value: p.payload.credentialStatus } }
        : {}),
      issuedAt: new Date((seconds(p.payload.validFrom) ?? iat ?? 0) * 1000),
      ...idOf(p.payload.id),
    };
  }
  if (p.format === 'jwt_vc_json') {
    const vc = objectOr(p.payload.vc);
    const subject = objectOr([vc.credentialSubject].flat()[0]);
    return {
      issuer: issuerOf(p.payload.iss ?? vc.issuer),
      ...(typeof p.payload.sub === 'string' ? { subject: p.payload.sub } : {}),
      claims: p.payload,
      notBefore: num(p.payload.nbf),
      notAfter: num(p.payload.exp),
      readiness: readinessOf(subject),
      ...(vc.credentialStatus !== undefined ? { statusReference: { kind: 'bitstring' as const, value: vc.credentialStatus } } : {}),
      issuedAt: new Date((iat ?? num(p.payload.nbf) ?? 0) * 1000),
      ...idOf(p.payload.jti ?? vc.id),
    };
  }
  const claims = await applyDisclosures(p.payload, p.disclosures);
  return {
    issuer: issuerOf(claims.iss),
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
    claims,
    notBefore: num(claims.nbf),
    notAfter: num(claims.exp),
    readiness: readinessOf(objectOr(claims.subject), claims),
    ...(claims.status !== undefined ? { statusReference: { kind: 'token' as const, value: claims.status } } : {}),
    issuedAt: new Date((iat ?? num(claims.nbf) ?? 0) * 1000),
    ...idOf(claims.jti),
  };
}

/**
 * The issuer's notice about the credential's attestation, when the environment can ask for one.
 * A notice explains a status (since when, why, what replaced it); it never decides one, so a
 * notice that cannot be had, or that names another status than the signed list, is left out.
 */
async function noticeFor(env: VerifyEnvironment, facts: Facts) {
  const uuid = credentialUuid(facts.credentialId);
  if (!env.notices || !uuid) return undefined;
  try {
    return await env.notices(facts.issuer, uuid);
  } catch {
    return undefined;
  }
}

/**
 * The one verification pipeline. Each step is a named check; the first that cannot pass ends
 * the run (later steps would only restate it), except trust, which is reported and verification
 * continues so the caller learns what else holds. `verified` is true only when every check passed.
 */
export async function verifyCredential(input: unknown, env: VerifyEnvironment, options: VerifyOptions = {}): Promise<VerificationResult> {
  const checks: Check[] = [];
  const pass = (name: CheckName, code = 'ok', detail?: string) => checks.push({ name, ok: true, code, ...(detail ? { detail } : {}) });
  let result: Omit<VerificationResult, 'verified' | 'checks'> = {};
  // Set once the signature verified: only then is the credential the issuer's, and its place in the log worth asking.
  let logSubject: Omit<LogSubject, 'listStatus'> | undefined;
  try {
    const parsed = parseCredential(input);
    result = { format: parsed.format };
    pass('format');
    checkHeader(parsed.header);
    pass('algorithm');

    // The issuer is never selectively disclosable, so it is read before anything is disclosed.
    const issuer = issuerOf(
      parsed.format === 'vc+jwt' ? parsed.payload.issuer : (parsed.payload.iss ?? objectOr(parsed.payload.vc).issuer),
    );
    result = { ...result, issuer };
    if (env.isTrusted(issuer)) pass('issuer_trusted');
    else checks.push({ name: 'issuer_trusted', ok: false, code: 'untrusted_issuer', detail: 'the issuer is not one this verifier trusts' });

    const signed = await verifySignature(parsed.jws, parsed.header, issuerReference(issuer), env.keys);
    result = { ...result, ...(signed.kid ? { kid: signed.kid } : {}) };
    pass('issuer_key');
    pass('signature');

    const facts = await factsOf(parsed);
    logSubject = {
      jws: parsed.jws,
      presented: parsed.presentedSdJwt ?? parsed.jws,
      issuedAt: facts.issuedAt,
      ...(signed.kid ? { kid: signed.kid.slice(signed.kid.indexOf('#') + 1) } : {}),
    };
    if (parsed.format === 'dc+sd-jwt') pass('disclosures', 'ok', `${parsed.disclosures.length} disclosure(s) applied`);
    result = {
      ...result,
      ...(facts.credentialId ? { credentialId: facts.credentialId } : {}),
      ...(facts.subject ? { subject: facts.subject } : {}),
      claims: facts.claims,
    };

    const now = env.now.getTime() / 1000;
    if (facts.notBefore !== undefined && facts.notBefore > now + env.skewSeconds) {
      throw new VerificationFailure('validity_period', 'not_yet_valid', 'the credential is not valid yet');
    }
    if (facts.notAfter !== undefined && facts.notAfter <= now - env.skewSeconds) {
      throw new VerificationFailure('validity_period', 'expired', 'the credential has expired');
    }
    pass('validity_period');

    if (parsed.format === 'dc+sd-jwt') {
      const cnf = facts.claims.cnf;
      if (parsed.keyBindingJwt && options.keyBinding) {
        await checkKeyBinding(parsed.keyBindingJwt, parsed.presentedSdJwt!, cnf, options.keyBinding, env.now, env.skewSeconds);
        pass('key_binding');
      } else if (options.keyBinding) {
        throw new VerificationFailure(
          'key_binding',
          'key_binding_missing',
          'holder binding was asked for and no key-binding JWT was presented',
        );
      } else if (parsed.keyBindingJwt) {
        pass('key_binding', 'not_checked', 'a key-binding JWT was presented but no audience and nonce were given to check it against');
      } else if (cnf !== undefined) {
        pass(
          'key_binding',
          'not_presented',
          'the credential is bound to a holder key, and no key-binding JWT proves the presenter holds it',
        );
      }
    }

    const deps = { source: env.statusLists, keys: env.keys, now: env.statusAt ?? env.now, skewSeconds: env.skewSeconds };
    let status: { value: StatusValue; lists: string[] } | undefined;
    if (facts.statusReference?.kind === 'token') {
      const s = await tokenStatus(facts.statusReference.value, facts.issuer, deps);
      status = { value: s.value, lists: [s.list] };
    } else if (facts.statusReference?.kind === 'bitstring') {
      status = await bitstringStatus(facts.statusReference.value, facts.issuer, deps);
    }
    if (status) result = { ...result, status };
    const notice = await noticeFor(env, facts);
    if (notice) result = { ...result, notice };
    if (status && status.value !== 'valid')
      throw new VerificationFailure('status', status.value, `the issuer has ${status.value} this credential`);
    pass('status', status ? 'ok' : 'no_status', status ? undefined : 'the credential carries no status reference');

    if (facts.readiness) {
      // The text the claims were read from: the issuer-signed JWT and, for an SD-JWT, the disclosures applied to it.
      const signedText = parsed.presentedSdJwt ?? parsed.jws;
      const readiness = await checkReadiness(facts.readiness, facts.issuer, facts.issuedAt, env.profiles, signedText);
      result = { ...result, readiness };
      pass(
        'readiness',
        readiness.recomputed ? 'ok' : 'not_recomputed',
        readiness.recomputed
          ? 'the verdict follows from the disclosed results'
          : 'not every result is disclosed, or the profile is not published here',
      );
      const rule = await freshnessRule(facts.readiness, facts.issuer, env.profiles);
      const warnings = evidenceWarnings(facts.readiness.results, rule, env.now, env.skewSeconds);
      if (warnings) {
        const code = warnings.some((w) => w.code === 'evidence_expired')
          ? 'evidence_expired'
          : warnings.length > 0
            ? 'evidence_stale'
            : 'ok';
        const expired = warnings.filter((w) => w.code === 'evidence_expired').length;
        const stale = warnings.length - expired;
        const rulePart = `older than ${rule.maxAgeDays} days${rule.fromProfile ? '' : ' (the default rule: the profile is not known here)'}`;
        pass(
          'evidence',
          code,
          code === 'ok' ? `no evidence expired or ${rulePart}` : `${expired} evidence item(s) expired, ${stale} ${rulePart}`,
        );
        if (warnings.length > 0) result = { ...result, warnings };
      }
    }
  } catch (e) {
    if (!(e instanceof VerificationFailure)) throw e;
    checks.push({ name: e.check, ok: false, code: e.code, detail: e.message });
  }
  // After every other check, and whatever they found: the log corroborates (or contradicts) a
  // revocation or an expiry as much as a valid credential.
  if (logSubject && env.log) {
    const { check, finding } = await checkCredentialLog(
      env.log(),
      { ...logSubject, ...(result.status ? { listStatus: result.status.value } : {}) },
      { statusAsOf: env.statusAt ?? env.now, at: env.now },
    );
    checks.push(check);
    if (finding) result = { ...result, log: finding };
  }
  return { verified: checks.every((c) => c.ok), ...result, checks };
}
