export * from './profile.ts';
export * from './assessment.ts';
export { pinProfile, jcsDigestSri, type PinnedProfile } from './digest.ts';
export { parseAssessment } from './parse-assessment.ts';
export { evaluateAssessment, evaluateParsed } from './evaluate.ts';
export { profileNotFound, resolveProfile } from './resolve.ts';
export { builtinProfiles, findBuiltinProfile } from './registry.ts';
export { readinessJsonSchemas } from './json-schemas.ts';
export type * from './verdict.ts';
