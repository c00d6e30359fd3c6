import { z } from 'zod';
import { controlIdSchema, profileIdSchema, profileVersionSchema, roleSchema } from './profile.ts';

export const RESULT_STATUSES = ['pass', 'fail', 'blocked', 'partial', 'not_applicable'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export const ACCEPTANCE_DECISIONS = ['accepted', 'accepted_with_exclusions', 'rejected'] as const;
export type AcceptanceDecision = (typeof ACCEPTANCE_DECISIONS)[number];

// Every string and array is capped: the assessment arrives from a tenant and is held in memory
// whole while it is evaluated, so its size must be bounded by the schema, not by good manners.
export const MAX_RESULTS = 500;
export const MAX_EVIDENCE_PER_RESULT = 10;

const name = z.string().trim().min(1).max(200);
const note = z.string().trim().min(1).max(2000);
const timestamp = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone' });

const httpsUrl = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain, message: 'must be an https URL on a public host name' })
  .max(2048)
  // Repeats the protocol rule as a pattern, which (unlike the URL check) reaches the JSON Schema.
  .regex(/^https:\/\/\S+$/, 'must be an https URL');
const did = z
  .string()
  .max(2048)
  .regex(/^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/, 'must be a DID');

// Not URL.canParse: the Workers type definitions in use do not declare it.
function parsesAsUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a piece of evidence lives. https for documents, urn: for opaque references (a ticket,
 * a content-addressed blob), did: for something with its own identifier; the digest is what
 * binds it, so the address need not stay reachable.
 */
const evidenceUri = z
  .string()
  .max(2048)
  .regex(/^(?:https:\/\/[^\s]+|urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s]+|did:[a-z0-9]+:[^\s]+)$/, 'must be an https:, urn: or did: URI')
  .refine((v) => !v.startsWith('https:') || parsesAsUrl(v), 'must be a well-formed https URL');

/**
 * The W3C VC `digestSRI` form, as the verdict's profile digest: one form throughout. Only
 * SHA-256 is accepted, so every evidence digest can be checked by every verifier.
 */
export const sha256SriSchema = z
  .string()
  .regex(/^sha256-[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'must be a sha-256 digest in SRI form: sha256-<base64 of 32 bytes>');

export const evidenceSchema = z.strictObject({
  uri: evidenceUri,
  digestSRI: sha256SriSchema,
  mediaType: z
    .string()
    .max(255)
    .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a media type such as application/json'),
  collectedAt: timestamp,
  collectedBy: name,
  /** When the state the evidence shows was observed; a verifier judges its age by it (profile's evidenceMaxAgeDays). */
  observedAt: timestamp.optional(),
  /** When the evidence stops proving anything (a certificate, a pen-test report, a contract); bounds the credential's validity. */
  expiresAt: timestamp.optional(),
});

export const resultSchema = z.strictObject({
  control: controlIdSchema,
  status: z.enum(RESULT_STATUSES),
  note: note.optional(),
  evidence: z.array(evidenceSchema).max(MAX_EVIDENCE_PER_RESULT).optional(),
});

export const subjectSchema = z
  .strictObject({
    organisation: name,
    product: name,
    productionUrl: httpsUrl.optional(),
    id: z.union([did, httpsUrl]).optional(),
  })
  .refine((s) => s.productionUrl !== undefined || s.id !== undefined, {
    message: 'give productionUrl or id, so the credential names something a buyer can check',
    path: ['productionUrl'],
  })
  .meta({ anyOf: [{ required: ['productionUrl'] }, { required: ['id'] }] });

export const assessmentSignOffSchema = z.strictObject({ role: roleSchema, name, signedAt: timestamp });

export const exclusionSchema = z.strictObject({ control: controlIdSchema, reason: note });

export const acceptanceSchema = z.strictObject({
  decision: z.enum(ACCEPTANCE_DECISIONS),
  exclusions: z.array(exclusionSchema).max(MAX_RESULTS).optional(),
  approvalReference: z.string().trim().min(1).max(500).optional(),
  decidedBy: name,
  decidedAt: timestamp,
});

export const assessmentSchema = z
  .strictObject({
    profile: z.strictObject({ id: profileIdSchema, version: profileVersionSchema }),
    subject: subjectSchema,
    results: z.array(resultSchema).max(MAX_RESULTS),
    signOffs: z.array(assessmentSignOffSchema).max(50).optional(),
    acceptance: acceptanceSchema.optional(),
  })
  .meta({
    title: 'launchproof readiness assessment',
    description:
      'What a tenant submits: the result and evidence of each control of a readiness profile, its sign-offs and the customer acceptance.',
  });

export type Assessment = z.infer<typeof assessmentSchema>;
export type ControlResult = z.infer<typeof resultSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;
export type Exclusion = z.infer<typeof exclusionSchema>;
export type Acceptance = z.infer<typeof acceptanceSchema>;
