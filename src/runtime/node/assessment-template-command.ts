import { findBuiltinProfile, builtinProfiles } from '../../readiness/registry.ts';
import { parseAssessment } from '../../readiness/parse-assessment.ts';
import { assessmentTemplate, templateInstructions } from '../../readiness/template.ts';
import { UsageError } from './usage-error.ts';

/**
 * `launchproof assessment template --profile ID@VERSION`: the fill-in skeleton of a built-in
 * profile on stdout, the guidance a JSON document cannot carry (sign-offs, acceptance) on stderr
 * so that `> my-assessment.json` keeps only the document. No configuration, no network.
 */
export async function assessmentTemplateCommand(
  profileRef: string | undefined,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  const m = /^([^@\s]+)@([^@\s]+)$/.exec(profileRef ?? '');
  if (!m) throw new UsageError('assessment template needs --profile ID@VERSION, such as production-readiness-review@1.0.0');
  const profile = findBuiltinProfile(m[1]!, m[2]!);
  if (!profile) {
    const known = builtinProfiles().map((p) => `${p.id}@${p.version}`);
    err(`launchproof: no built-in profile ${profileRef}; built-in: ${known.join(', ')}\n`);
    return 2;
  }
  // Parsed before it is printed: a template that the service would refuse is a bug here, not the tenant's to find.
  const template = parseAssessment(assessmentTemplate(profile));
  for (const line of templateInstructions(profile)) err(`${line}\n`);
  await out(`${JSON.stringify(template, null, 2)}\n`);
  return 0;
}
