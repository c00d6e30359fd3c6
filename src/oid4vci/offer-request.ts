import { z } from 'zod';
import { assessmentSchema } from '../readiness/assessment.ts';
import { OFFER_FORMATS } from './configurations.ts';

/** POST /v1/t/{tenant}/offers: which assessment to offer, in which formats, guarded how. */
export const offerRequestSchema = z
  .strictObject({
    assessment_id: z.string().max(64).optional(),
    assessment: assessmentSchema.optional(),
    formats: z
      .array(z.enum(OFFER_FORMATS))
      .min(1)
      .max(OFFER_FORMATS.length)
      .refine((f) => new Set(f).size === f.length, 'each format at most once')
      .optional(),
    // A tx_code is on unless refused with `false`: without one, whoever sees the QR code can redeem it.
    tx_code: z
      .union([
        z.literal(false),
        z.strictObject({
          length: z.number().int().min(4).max(12).optional(),
          input_mode: z.enum(['numeric', 'text']).optional(),
          description: z.string().trim().min(1).max(300).optional(),
        }),
      ])
      .optional(),
  })
  .refine((r) => (r.assessment === undefined) !== (r.assessment_id === undefined), {
    message: 'give either the assessment_id of a stored assessment or an inline assessment',
    path: ['assessment_id'],
  });

export type OfferRequest = z.infer<typeof offerRequestSchema>;
