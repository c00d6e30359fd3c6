import { ERROR_TITLE, type ErrorCode } from './codes.ts';
import type { FieldProblem } from './app-error.ts';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** RFC 9457 problem details, with our stable `code` and the request id as extension members. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  request_id?: string;
  errors?: FieldProblem[];
  /** RFC 9457 §3.1.4, for the few errors whose explanation is the caller's to know (AppError.publicDetail). */
  detail?: string;
}

/**
 * The problem type is a URN rather than an https URI: it is a stable identifier, not a page,
 * and we publish no documentation host we could promise to keep alive.
 */
export function problemType(code: ErrorCode): string {
  return `urn:launchproof:problem:${code}`;
}

export function problemDocument(
  code: ErrorCode,
  status: number,
  requestId?: string,
  fields: readonly FieldProblem[] = [],
  detail?: string,
): ProblemDocument {
  const doc: ProblemDocument = { type: problemType(code), title: ERROR_TITLE[code], status, code };
  if (detail !== undefined) doc.detail = detail;
  if (requestId) doc.request_id = requestId;
  if (fields.length > 0) doc.errors = fields.map((f) => ({ pointer: f.pointer, detail: f.detail }));
  return doc;
}
