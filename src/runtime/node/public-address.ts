import { lookup } from 'node:dns/promises';

/**
 * Every address the system resolver gives for a host, for createSafeFetch's `resolveHost`: the
 * core refuses the fetch if any one is not public, since the connection may use any of them.
 */
export async function resolveHostNode(hostname: string): Promise<string[]> {
  const answers = await lookup(hostname, { all: true });
  return answers.map((answer) => answer.address);
}
