import { z } from 'zod';
import { ATTESTATION_TYPE } from '../credentials/attestation.ts';
import { AppError, type FieldProblem } from '../errors/index.ts';
import type { IssueRequest } from '../attestations/issue-request.ts';
import { assessmentSchema } from '../readiness/assessment.ts';
import { VCDM2_CONTEXT } from './envelope.ts';

const instant = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone' });
const oneOrMany = z.union([z.string().min(1).max(2048), z.array(z.string().min(1).max(2048)).min(1).max(16)]);

/**
 * The unsecured credential a VC-API client sends. Only what makes it a VCDM 2.0 credential is
 * checked here (a mismatch is a 400); members this issuer would not sign as given pass through
 * so that `issuanceOf` can refuse them by name with 422.
 */
const unsecuredCredentialSchema = z.looseObject({
  '@context': oneOrMany,
  type: oneOrMany,
  issuer: z.union([z.string().min(1).max(2048), z.looseObject({ id: z.string().min(1).max(2048) })]).optional(),
  validFrom: instant.optional(),
  validUntil: instant.optional(),
  // A readiness assessment inline, or the id of one stored with POST /v1/t/{tenant}/assessments:
  // the claims are computed from it, which is why nothing else may stand beside it.
  credentialSubject: z.looseObject({
    id: z.string().min(1).max(2048).optional(),
    assessment: z.union([assessmentSchema, z.string().min(1).max(64)]),
  }),
});

/** W3C CCG VC-API IssueCredentialOptions: `credentialId` names the issuance; `mandatoryPointers` is for selective disclosure. */
const issueOptionsSchema = z.strictObject({
  credentialId: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
    .optional(),
  mandatoryPointers: z.array(z.string().max(2048)).max(64).optional(),
});

/** W3C CCG VC-API IssueCredentialRequest. */
export const issueCredentialRequestSchema = z.strictObject({
  credential: unsecuredCredentialSchema,
  options: issueOptionsSchema.optional(),
});
export type IssueCredentialRequest = z.infer<typeof issueCredentialRequestSchema>;

/** Members of a credential the issuer writes itself (or, for the subject, derives from the assessment). */
const CREDENTIAL_MEMBERS = new Set(['@context', 'type', 'issuer', 'validFrom', 'validUntil', 'credentialSubject']);
const SUBJECT_MEMBERS = new Set(['id', 'assessment']);

const list = (v: string | string[]) => [v].flat();

/**
 * Turns a VC-API issue request into our issuance request, or refuses it. 400 for what the
 * VC-API or VCDM 2.0 call malformed (a wrong `issuer` is a 400 in the VC-API's issuer.yml);
 * 422 for a well-formed credential we would not sign as given: we assign the id, the status
 * entries and the schema, and the verdict is computed, never taken from the caller.
 */
export function issuanceOf(request: IssueCredentialRequest, tenantDid: string, attestationContext: string): IssueRequest {
  const c = request.credential;
  const malformed: FieldProblem[] = [];
  const unissuable: FieldProblem[] = [];
  const contexts = list(c['@context']);
  // VCDM 2.0 §4.3: the first context MUST be the v2 context.
  if (contexts[0] !== VCDM2_CONTEXT) malformed.push({ pointer: '/credential/@context', detail: `must begin with ${VCDM2_CONTEXT}` });
  contexts.forEach((ctx, i) => {
    if (i > 0 && ctx !== attestationContext)
      unissuable.push({ pointer: `/credential/@context/${i}`, detail: 'only the launch-readiness context is signed here' });
  });
  const types = list(c.type);
  if (!types.includes('VerifiableCredential')) malformed.push({ pointer: '/credential/type', detail: 'must include VerifiableCredential' });
  if (types.some((t) => t !== 'VerifiableCredential' && t !== ATTESTATION_TYPE))
    unissuable.push({ pointer: '/credential/type', detail: `this issuer signs only ${ATTESTATION_TYPE}` });
  const issuer = typeof c.issuer === 'string' ? c.issuer : c.issuer?.id;
  if (issuer !== undefined && issuer !== tenantDid) malformed.push({ pointer: '/credential/issuer', detail: 'is not this issuer' });
  for (const name of Object.keys(c))
    if (!CREDENTIAL_MEMBERS.has(name)) unissuable.push({ pointer: `/credential/${name}`, detail: 'is set by the issuer, not the caller' });
  const subject = c.credentialSubject;
  for (const name of Object.keys(subject))
    if (!SUBJECT_MEMBERS.has(name))
      unissuable.push({ pointer: `/credential/credentialSubject/${name}`, detail: 'is computed from the assessment, not taken as given' });
  const inline = typeof subject.assessment === 'object' ? subject.assessment : undefined;
  if (subject.id !== undefined && subject.id !== inline?.subject.id)
    unissuable.push({ pointer: '/credential/credentialSubject/id', detail: 'must equal the id of the assessment subject' });
  if (request.options?.mandatoryPointers?.length)
    unissuable.push({ pointer: '/options/mandatoryPointers', detail: 'a vc+jwt discloses everything; there is nothing to make mandatory' });

  if (malformed.length > 0)
    throw new AppError('invalid_request', 'credential is not a VCDM 2.0 credential for this issuer', { fields: malformed });
  if (unissuable.length > 0)
    throw new AppError('credential_not_issuable', 'credential asks for claims the issuer does not take', { fields: unissuable });
  return {
    ...(inline ? { assessment: inline } : { assessment_id: subject.assessment as string }),
    formats: ['vc+jwt'],
    ...(c.validFrom ? { valid_from: c.validFrom } : {}),
    ...(c.validUntil ? { valid_until: c.validUntil } : {}),
  };
}

/** Our issuance pointers, renamed to where the VC-API request carries the same value. */
const POINTERS: Record<string, string> = {
  '/valid_from': '/credential/validFrom',
  '/valid_until': '/credential/validUntil',
  '/assessment': '/credential/credentialSubject/assessment',
  '/assessment_id': '/credential/credentialSubject/assessment',
};

export function vcApiPointer(pointer: string): string {
  const head = Object.keys(POINTERS).find((p) => pointer === p || pointer.startsWith(`${p}/`));
  return head ? POINTERS[head]! + pointer.slice(head.length) : pointer;
}
