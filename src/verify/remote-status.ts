import { VerificationFailure } from './result.ts';
import type { StatusListSource } from './status.ts';

/**
 * Status lists of other issuers, fetched under the same rules as their keys (https, public
 * addresses, no redirects, a size cap and a timeout). A refusal is reported as a status failure,
 * which is where it happened, not as a key failure.
 */
export function remoteStatusLists(fetchText: (url: string) => Promise<string>): StatusListSource {
  return {
    async fetch(url) {
      try {
        return await fetchText(url);
      } catch (e) {
        if (e instanceof VerificationFailure)
          throw new VerificationFailure(
            'status',
            e.code === 'unsafe_url' ? 'unsafe_url' : 'unreachable_list',
            `status list ${url}: ${e.message}`,
          );
        throw e;
      }
    },
  };
}
