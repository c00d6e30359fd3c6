import type { ErrorCode } from './codes.ts';

/**
 * What a reader of one tenant's data makes of a tenant that does not exist: to it, the thing it
 * looked for is simply not there (an unknown key, an unreachable list, no notice, no API key),
 * never a failure of the service. `read`'s `tenant_not_found` refusal, or one of `alsoAbsent`,
 * becomes `absent()` (which may throw the reader's own refusal); anything else, a storage failure
 * above all, still throws. The one place that rule is written, for every such reader.
 */
export async function whenAbsent<T, A>(read: () => Promise<T>, absent: () => A, alsoAbsent: readonly ErrorCode[] = []): Promise<T | A> {
  try {
    return await read();
  } catch (e) {
    const code = (e as { code?: unknown } | null | undefined)?.code;
    if (code === 'tenant_not_found' || alsoAbsent.includes(code as ErrorCode)) return absent();
    throw e;
  }
}
