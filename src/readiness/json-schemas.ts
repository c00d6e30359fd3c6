import { z } from 'zod';
import { assessmentSchema } from './assessment.ts';
import { profileSchema } from './profile.ts';

/**
 * The published JSON Schemas (draft 2020-12), derived from the zod schemas so the two cannot
 * drift. Cross-member rules (unique ids, known stages, https parsing) live in refinements,
 * which JSON Schema cannot express: a document valid here may still be refused by the service.
 */
export function readinessJsonSchemas(): Record<'readiness-profile' | 'readiness-assessment', Record<string, unknown>> {
  const options = { target: 'draft-2020-12', io: 'input' } as const;
  return {
    'readiness-profile': z.toJSONSchema(profileSchema, options),
    'readiness-assessment': z.toJSONSchema(assessmentSchema, options),
  };
}
