import { z } from 'zod';

export const AUDIENCES = ['buyer', 'security', 'operator', 'finance', 'enterprise', 'engineering', 'compliance'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const PRIORITIES = ['P0', 'P1', 'P2'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const APPLICABILITIES = ['always', 'may_be_na'] as const;

// Profiles are our own data, but they are also published: the caps keep a third-party profile
// (or a typo) from producing a document no verifier wants to load.
const title = z.string().trim().min(1).max(200);
const text = z.string().trim().min(1).max(2000);

export const profileIdSchema = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'must be a lower-case slug such as production-proof');
export const profileVersionSchema = z
  .string()
  .max(32)
  .regex(/^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$/, 'must be a semantic version MAJOR.MINOR.PATCH');
export const stageIdSchema = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/, 'must be a snake_case identifier');
export const controlIdSchema = z
  .string()
  .max(128)
  .regex(/^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/, 'must be a dotted identifier such as security.ssrf');
export const roleSchema = stageIdSchema;
const mediaType = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a media type such as application/json');

export const stageSchema = z.strictObject({ id: stageIdSchema, title, description: text });

export const controlSchema = z.strictObject({
  id: controlIdSchema,
  title,
  description: text,
  priority: z.enum(PRIORITIES).optional(),
  /** Optional controls are counted in a verdict but never hold a stage back. */
  required: z.boolean(),
  audiences: z.array(z.enum(AUDIENCES)).min(1).max(AUDIENCES.length),
  evidence: z.strictObject({ expected: text, mediaTypes: z.array(mediaType).min(1).max(16).optional() }),
  ifMissing: text,
  stage: stageIdSchema,
  strict: z.boolean(),
  /** Whether a tenant may answer not_applicable: only where the product may simply lack the feature. */
  applicability: z.enum(APPLICABILITIES),
  /** Whether producing the evidence writes to production, so an operator schedules it deliberately. */
  mutatesProduction: z.boolean().optional(),
  /**
   * False for a control whose evidence stays true once shown (a design decision, a signed
   * contract): its evidence's expiry then bounds nothing. Absent means time-bound; never
   * defaulted in the schema, so a profile written before the member keeps its digest.
   */
  timeBound: z.boolean().optional(),
});

export const sectionSchema = z.strictObject({
  id: stageIdSchema,
  title,
  controls: z.array(controlSchema).min(1).max(200),
});

export const signOffSchema = z.strictObject({ role: roleSchema, title, required: z.boolean() });

export const acceptanceGateSchema = z.strictObject({ required: z.boolean(), description: text, stage: stageIdSchema });

export const profileSchema = z
  .strictObject({
    id: profileIdSchema,
    version: profileVersionSchema,
    title,
    description: text,
    source: text,
    audiences: z.array(z.enum(AUDIENCES)).min(1).max(AUDIENCES.length),
    /** In launch order: reaching a stage implies every earlier one. */
    stages: z.array(stageSchema).min(1).max(16),
    sections: z.array(sectionSchema).min(1).max(50),
    signOffs: z.array(signOffSchema).max(20),
    acceptance: acceptanceGateSchema.optional(),
    /**
     * The freshness rule: evidence observed longer ago than this is reported as stale by a
     * verifier. Absent: DEFAULT_EVIDENCE_MAX_AGE_DAYS (see evidence-freshness.ts).
     */
    evidenceMaxAgeDays: z.number().int().min(1).max(3650).optional(),
  })
  .superRefine((p, ctx) => {
    const stageIds = new Set<string>();
    p.stages.forEach((s, i) => {
      if (stageIds.has(s.id)) ctx.addIssue({ code: 'custom', message: `duplicate stage id '${s.id}'`, path: ['stages', i, 'id'] });
      stageIds.add(s.id);
    });

    const controlIds = new Set<string>();
    const used = new Set<string>();
    p.sections.forEach((section, si) => {
      section.controls.forEach((c, ci) => {
        const at = ['sections', si, 'controls', ci];
        if (controlIds.has(c.id)) ctx.addIssue({ code: 'custom', message: `duplicate control id '${c.id}'`, path: [...at, 'id'] });
        controlIds.add(c.id);
        if (!stageIds.has(c.stage)) {
          ctx.addIssue({ code: 'custom', message: `control '${c.id}' gates unknown stage '${c.stage}'`, path: [...at, 'stage'] });
        }
        c.audiences.forEach((a, ai) => {
          used.add(a);
          if (!p.audiences.includes(a)) {
            ctx.addIssue({
              code: 'custom',
              message: `control '${c.id}' names audience '${a}' missing from the profile's audiences`,
              path: [...at, 'audiences', ai],
            });
          }
        });
        if (new Set(c.audiences).size !== c.audiences.length) {
          ctx.addIssue({ code: 'custom', message: `control '${c.id}' lists an audience twice`, path: [...at, 'audiences'] });
        }
      });
    });

    p.audiences.forEach((a, i) => {
      if (!used.has(a)) ctx.addIssue({ code: 'custom', message: `audience '${a}' is used by no control`, path: ['audiences', i] });
    });
    if (new Set(p.audiences).size !== p.audiences.length)
      ctx.addIssue({ code: 'custom', message: 'an audience is listed twice', path: ['audiences'] });

    const sectionIds = new Set<string>();
    p.sections.forEach((s, i) => {
      if (sectionIds.has(s.id)) ctx.addIssue({ code: 'custom', message: `duplicate section id '${s.id}'`, path: ['sections', i, 'id'] });
      sectionIds.add(s.id);
    });

    const roles = new Set<string>();
    p.signOffs.forEach((s, i) => {
      if (roles.has(s.role))
        ctx.addIssue({ code: 'custom', message: `duplicate sign-off role '${s.role}'`, path: ['signOffs', i, 'role'] });
      roles.add(s.role);
    });

    if (p.acceptance && !stageIds.has(p.acceptance.stage)) {
      ctx.addIssue({ code: 'custom', message: `acceptance gates unknown stage '${p.acceptance.stage}'`, path: ['acceptance', 'stage'] });
    }
  })
  .meta({
    title: 'launchproof readiness profile',
    description:
      'A versioned readiness checklist: the controls a launch is assessed against, the stages they gate, and the sign-offs it needs.',
  });

export type Profile = z.infer<typeof profileSchema>;
export type Control = z.infer<typeof controlSchema>;
export type Stage = z.infer<typeof stageSchema>;
export type Section = z.infer<typeof sectionSchema>;
export type SignOffRequirement = z.infer<typeof signOffSchema>;
export type AcceptanceGate = z.infer<typeof acceptanceGateSchema>;

/** Every control of a profile, in section order. */
export function profileControls(profile: Profile): Control[] {
  return profile.sections.flatMap((s) => s.controls);
}

export { profileDigest } from './digest.ts';
