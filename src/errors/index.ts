export { ERROR_STATUS, ERROR_TITLE, RETRY_AFTER_SECONDS, type ErrorCode } from './codes.ts';
export { AppError, isAppError, underPointer, type FieldProblem } from './app-error.ts';
export { whenAbsent } from './absent.ts';
export { PROBLEM_MEDIA_TYPE, problemDocument, problemType, type ProblemDocument } from './problem.ts';
