import { ERROR_STATUS, type ErrorCode } from './codes.ts';

/** One problem with the request, pointing at the offending member (RFC 6901 JSON Pointer). */
export interface FieldProblem {
  readonly pointer: string;
  readonly detail: string;
}

/**
 * The one error type the service throws for anything a caller can cause. `detail` is for the
 * log only; the wire gets the code, a generic title and, for validation, the field pointers.
 * Mistakes in our own code are `TypeError`s and surface as `internal_error`.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: readonly FieldProblem[];
  /**
   * Sent as the problem's `detail`: only text made for the caller, from what the caller sent
   * and what it may know (the role and tenant a 401/403 is about), never request data beyond it.
   */
  readonly publicDetail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { fields?: readonly FieldProblem[]; cause?: unknown; publicDetail?: string }) {
    super(detail ?? code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.fields = options?.fields ?? [];
    this.publicDetail = options?.publicDetail;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/**
 * Runs `fn`, re-rooting the field pointers of any AppError it throws under `prefix`: a document
 * validated on its own (an assessment) is often nested in a request (an issuance).
 */
export async function underPointer<T>(prefix: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof AppError) || e.fields.length === 0) throw e;
    throw new AppError(e.code, e.message, {
      fields: e.fields.map((f) => ({ pointer: prefix + f.pointer, detail: f.detail })),
      cause: e,
      ...(e.publicDetail === undefined ? {} : { publicDetail: e.publicDetail }),
    });
  }
}
