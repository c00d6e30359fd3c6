import type { CheckName } from '../verify/result.ts';

/** Each step of the pipeline as a buyer would name it. */
export const CHECK_TITLE: Readonly<Record<CheckName, string>> = {
  format: 'Readable credential',
  algorithm: 'Signing method',
  issuer_trusted: 'Trusted issuer',
  issuer_key: 'Issuer’s signing key',
  signature: 'Signature',
  validity_period: 'Validity period',
  disclosures: 'Disclosed content',
  key_binding: 'Proof of holding',
  status: 'Status',
  readiness: 'Readiness verdict',
  log: 'Issuer’s public log',
  evidence: 'Freshness of the evidence',
};

const HOLDER_PROOF_BROKEN = 'The proof that the presenter holds this credential is damaged or of the wrong kind.';
const LIST_UNTRUSTED =
  'The issuer’s status list could not be trusted (it is damaged, out of date or not signed by the issuer), so whether the attestation was revoked cannot be confirmed.';
const LIST_NOT_OURS = 'The status list the credential points at does not belong to this credential or this issuer.';
const LOG_BROKEN = 'The issuer’s public log in this bundle is incomplete or damaged, so it cannot confirm this credential.';
const TAMPERED_DISCLOSURE = 'The disclosed content was tampered with: an item appears twice or overwrites what the issuer signed.';

/**
 * What a failed check means, by check and code, in words for a procurement or security reviewer.
 * Every code the pipeline produces has a sentence; a code added later falls back to its check's.
 */
const BY_CODE: Readonly<Record<CheckName, Readonly<Record<string, string>>>> = {
  format: {
    malformed: 'This is not a readable credential: its text is damaged or incomplete. Check that the whole credential was pasted.',
    too_deep: 'The credential is built in a way no genuine issuer produces (its data nests too deeply), so it was not read.',
    too_large: 'The credential is far larger than any genuine one, so it was not read.',
    not_a_credential: 'What was given is not a credential. Paste the credential’s text (it usually starts with “eyJ”) or drop its file.',
    unsupported_format:
      'The credential is in a format this verifier does not read. It reads VC-JWT (VC Data Model 2.0), VC Data Model 1.1 JWT and SD-JWT VC credentials.',
    no_issuer: 'The credential does not say who issued it, so nothing can vouch for it.',
  },
  algorithm: {
    algorithm_not_allowed: 'The credential is signed with a method this verifier does not accept as secure.',
    key_in_header:
      'The credential tries to supply its own signing key instead of relying on the keys the issuer publishes: a known forgery technique.',
    unsupported_critical_header: 'The credential demands processing rules this verifier does not know, so it cannot be checked safely.',
    algorithm_key_mismatch: 'The signing method the credential states does not fit the issuer’s key.',
  },
  issuer_trusted: {
    untrusted_issuer:
      'The issuer is not one this service trusts. Anyone can produce a credential; what gives it weight is who issued it, and that issuer is not recognised here.',
  },
  issuer_key: {
    unknown_key: 'The key named in the credential is not one the issuer has published: the credential may be forged.',
    ambiguous_key: 'The credential does not say which of the issuer’s keys signed it, so the signature cannot be checked.',
    unresolvable_issuer: 'The issuer’s published identity (its keys) could not be found or read, so the signature cannot be checked.',
    kid_not_of_issuer: 'The signing key named in the credential belongs to someone other than the stated issuer.',
    no_kid: 'The credential does not name the key that signed it, so the signature cannot be checked.',
    key_revoked: 'The issuer has revoked the key that signed this credential as compromised: nothing it signed can be trusted.',
    unsafe_url: 'The issuer’s address points somewhere this verifier refuses to contact (a private or unencrypted address).',
    unsupported_did_method: 'The issuer’s identifier is of a kind this verifier cannot look up.',
    unsupported_key_format: 'The issuer publishes its key in a form this verifier cannot use.',
    key_not_for_assertion: 'The issuer’s key is not published for signing credentials.',
    private_key_published: 'The issuer published secret key material in place of its public key, so its keys cannot be trusted.',
  },
  signature: {
    bad_signature:
      'The signature does not match: the credential was altered after the issuer signed it, or it was not signed by this issuer.',
  },
  validity_period: {
    expired: 'The credential has expired: the period for which the issuer vouched for it has ended.',
    not_yet_valid: 'The credential is not valid yet: the period for which the issuer vouches for it has not started.',
  },
  disclosures: {
    unreferenced_disclosure: 'Part of the disclosed content was not signed by the issuer: it was added or changed after issuance.',
    duplicate_disclosure: TAMPERED_DISCLOSURE,
    digest_referenced_twice: TAMPERED_DISCLOSURE,
    claim_collision: TAMPERED_DISCLOSURE,
    malformed_disclosure: 'A disclosed item is damaged and cannot be read.',
    malformed_payload: 'The credential’s list of withheld items is damaged.',
    unsupported_digest: 'The credential withholds its items with a method this verifier does not accept.',
    not_disclosable: 'Something was disclosed that the issuer did not make disclosable.',
  },
  key_binding: {
    key_binding_missing: 'Proof that the presenter holds this credential was asked for and not given.',
    wrong_audience: 'The proof of holding was made for another recipient.',
    wrong_nonce: 'The proof of holding was made for another request: it may be a replay.',
    bad_signature: 'The proof of holding was not signed with the holder’s key.',
    too_old: 'The proof of holding is too old to be accepted.',
    bad_iat: 'The proof of holding carries no valid time.',
    sd_hash_mismatch: 'The proof of holding does not cover the credential as presented.',
    no_holder_key: 'The credential names no holder key, so holding it cannot be proved.',
    wrong_type: HOLDER_PROOF_BROKEN,
    malformed: HOLDER_PROOF_BROKEN,
  },
  status: {
    revoked: 'The issuer has revoked this attestation: it no longer stands.',
    suspended: 'The issuer has suspended this attestation: it does not stand while suspended, and the issuer may reinstate it.',
    unreachable_list: 'The issuer’s status list could not be reached, so whether the attestation was revoked cannot be confirmed.',
    unsafe_url: 'The status list address points somewhere this verifier refuses to contact.',
    list_expired: 'The issuer’s status list is out of date, so the current status cannot be confirmed.',
    malformed_list: LIST_UNTRUSTED,
    list_subject_mismatch: LIST_NOT_OURS,
    list_issuer_mismatch: LIST_NOT_OURS,
    list_purpose_mismatch: LIST_NOT_OURS,
    malformed_reference: 'The credential’s pointer to its status is damaged.',
    unsupported_status_type: 'The credential points at a kind of status list this verifier does not read.',
    unsupported_status_purpose: 'The credential points at a status of a kind this verifier does not read.',
    index_out_of_range: 'The credential points at a status entry that does not exist.',
    unknown_status_value: 'The issuer’s status list holds a value this verifier does not understand.',
  },
  readiness: {
    no_profile: 'The credential does not name the readiness profile it was assessed against.',
    profile_digest_mismatch:
      'The readiness criteria the credential cites differ from the published version of that profile: the criteria were changed.',
    verdict_mismatch:
      'The verdict does not follow from the results: the credential claims a readiness level its own disclosed results do not support.',
  },
  log: {
    not_in_log:
      'The issuer did not record this credential in its public log, where it records every credential it issues: it may have been issued quietly, or not by the issuer’s service.',
    log_status_mismatch: 'The issuer’s public log and its status lists disagree about this attestation’s status: one of them misstates it.',
    log_gap: LOG_BROKEN,
    log_extra_entries: LOG_BROKEN,
    log_rewritten_entry: 'An entry of the issuer’s public log was changed after the log committed to it.',
    log_malformed_entry: LOG_BROKEN,
    log_forged_checkpoint: 'The issuer’s public log in this bundle is not signed by the log’s key: it was forged.',
    log_other_log: 'The public log in this bundle is another issuer’s log, not this issuer’s.',
    log_malformed_checkpoint: LOG_BROKEN,
    log_key_mismatch: 'The keys of the issuer’s public log in this bundle contradict each other.',
    log_key_unpublished: 'The issuer’s public log is signed by a key its published identity does not list.',
  },
  // Never fails: its codes are remarks (remarkSentence).
  evidence: {},
};

const BY_CHECK: Readonly<Record<CheckName, string>> = {
  format: 'The credential could not be read.',
  algorithm: 'The credential’s signing method is not acceptable.',
  issuer_trusted: 'The issuer is not one this service trusts.',
  issuer_key: 'The issuer’s signing key could not be found or used, so the signature cannot be checked.',
  signature: 'The signature does not match the issuer’s key.',
  validity_period: 'The credential is outside the period for which the issuer vouches for it.',
  disclosures: 'The disclosed content does not match what the issuer signed.',
  key_binding: 'The proof that the presenter holds this credential does not hold.',
  status: LIST_UNTRUSTED,
  readiness: 'The readiness verdict could not be confirmed.',
  log: 'The issuer’s public log does not confirm this credential.',
  evidence: 'The evidence could not be judged.',
};

/** The sentence for a failed check; status codes `list_<code>` wrap a failure of the list itself. */
export function failureSentence(check: string, code: string): string {
  const known = Object.hasOwn(BY_CHECK, check) ? (check as CheckName) : undefined;
  if (!known) return 'A check of this credential did not pass.';
  return (Object.hasOwn(BY_CODE[known], code) ? BY_CODE[known][code] : undefined) ?? BY_CHECK[known];
}

/** The plain title of a check, or its raw name for one this page does not know. */
export function checkTitle(check: string): string {
  return Object.hasOwn(CHECK_TITLE, check) ? CHECK_TITLE[check as CheckName] : check;
}

/** What a check that passed with a remark (not the plain `ok`) means. */
export function remarkSentence(check: string, code: string): string | undefined {
  if (check === 'readiness' && code === 'not_recomputed')
    return 'The verdict is shown as the issuer signed it. It was not recomputed here, because not every result is disclosed or the profile is not published.';
  if (check === 'status' && code === 'no_status')
    return 'The credential carries no status reference, so it cannot be revoked or suspended.';
  if (check === 'log' && code === 'no_log')
    return 'The trust bundle was made before the issuer kept a public log, so there is no log to find the credential in.';
  if (check === 'log' && code === 'issued_before_log')
    return 'The credential was issued before the issuer’s public log began, so the log cannot hold it.';
  if (check === 'log' && code === 'log_not_carried')
    return 'The issuer’s log is too large for the trust bundle to carry, so the credential’s entry was not looked for here; the log’s tiles or an audit export prove it.';
  if (check === 'log' && code === 'status_in_flight')
    return 'The issuer’s log records a status change made as the trust bundle was made, which its status lists do not show yet: fetch a newer bundle.';
  if (check === 'key_binding' && code === 'not_presented')
    return 'The credential is bound to its holder, and no proof of holding was presented: this shows what it says, not who holds it.';
  if (check === 'key_binding' && code === 'not_checked')
    return 'A proof of holding came with the credential but was not checked, as no recipient and request were named.';
  if (check === 'evidence' && code === 'evidence_expired')
    return 'Some evidence a passed control relies on has expired since it was issued: the attestation still stands for its validity period, but ask the vendor for fresh evidence.';
  if (check === 'evidence' && code === 'evidence_stale')
    return 'Some evidence a passed control relies on is older than its readiness profile considers fresh: the attestation still stands, but the state it shows may have changed.';
  return undefined;
}
