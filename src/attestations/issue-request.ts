import { z } from 'zod';
import { CREDENTIAL_FORMATS } from '../credentials/records.ts';
import { assessmentSchema } from '../readiness/assessment.ts';

/** A holder's public key: EC P-256/P-384 or Ed25519, and never a private member. */
const holderJwkSchema = z
  .looseObject({
    kty: z.enum(['EC', 'OKP']),
    crv: z.enum(['P-256', 'P-384', 'Ed25519']),
    x: z.string().regex(/^[A-Za-z0-9_-]{43,64}$/),
    y: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43,64}$/)
      .optional(),
  })
  .refine((k) => !('d' in k), { message: 'must be a public key: a private member (d) was sent', path: ['d'] })
  .refine((k) => (k.kty === 'EC') === (k.y !== undefined) && (k.kty === 'OKP') === (k.crv === 'Ed25519'), {
    message: 'kty, crv and members do not match',
  });

const didSchema = z
  .string()
  .max(4096)
  .regex(/^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/, 'must be a DID');
const instant = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone' });

/** POST /v1/t/{tenant}/attestations: what to attest, in which formats, bound to whom, for how long. */
export const issueRequestSchema = z
  .strictObject({
    assessment: assessmentSchema.optional(),
    assessment_id: z.string().max(64).optional(),
    formats: z
      .array(z.enum(CREDENTIAL_FORMATS))
      .min(1)
      .max(CREDENTIAL_FORMATS.length)
      .refine((f) => new Set(f).size === f.length, 'each format at most once'),
    holder: z.union([z.strictObject({ jwk: holderJwkSchema }), z.strictObject({ did: didSchema })]).optional(),
    valid_from: instant.optional(),
    valid_until: instant.optional(),
    /** The attestation this one replaces (same tenant, same subject); the older one then reports it. */
    supersedes: z.uuid({ message: 'must be an attestation id' }).optional(),
  })
  .refine((r) => (r.assessment === undefined) !== (r.assessment_id === undefined), {
    message: 'give either an inline assessment or the assessment_id of a stored one',
    path: ['assessment'],
  });

export type IssueRequest = z.infer<typeof issueRequestSchema>;
