import { AppError, type FieldProblem } from '../errors/index.ts';
import { assessmentSchema, type Assessment } from './assessment.ts';
import { jsonPointer } from '../util/json-pointer.ts';

// Hostile input can produce thousands of issues; the first hundred are enough to fix it by.
export const MAX_REPORTED_PROBLEMS = 100;

/** The control a result at `path` reports, read from the raw input so a refusal can name it. */
function controlAt(input: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'results' || typeof path[1] !== 'number' || typeof input !== 'object' || input === null) return undefined;
  const results = (input as { results?: unknown }).results;
  const result: unknown = Array.isArray(results) ? results[path[1]] : undefined;
  const control = typeof result === 'object' && result !== null ? (result as { control?: unknown }).control : undefined;
  return typeof control === 'string' ? control.slice(0, 128) : undefined;
}

/**
 * Shape check of a submitted assessment: a wrong type or a missing member is a malformed
 * request (400 `invalid_request`), like any other body; an assessment that is well formed but
 * does not add up against its profile is refused by evaluate.ts (422 `invalid_assessment`).
 */
export function parseAssessment(input: unknown): Assessment {
  const parsed = assessmentSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const all: FieldProblem[] = parsed.error.issues.flatMap((issue) => {
    const control = controlAt(input, issue.path);
    const detail = control === undefined ? issue.message : `control '${control}': ${issue.message}`;
    // zod reports unknown members at their parent; the tenant needs each member's own pointer.
    return issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({
          pointer: jsonPointer([...issue.path, k]),
          detail: control === undefined ? 'unknown member' : `control '${control}': unknown member`,
        }))
      : [{ pointer: jsonPointer(issue.path), detail }];
  });
  // One problem per place: a value failing two checks (say, scheme and syntax) needs one fix.
  const seen = new Set<string>();
  const fields = all.filter((f) => !seen.has(f.pointer) && seen.add(f.pointer));
  throw new AppError(
    'invalid_request',
    `assessment does not match the schema: ${fields.length} problem(s), first at ${fields[0]?.pointer ?? '""'}`,
    {
      fields: fields.slice(0, MAX_REPORTED_PROBLEMS),
    },
  );
}
