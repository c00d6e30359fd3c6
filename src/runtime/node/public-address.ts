import { lookup } from 'node:dns/promises';

/**
 * Every address the system resolver gives for a host: what the pinned edge (pinned-fetch.ts)
 * checks, all of them, and then connects to, so the check and the connection see one answer.
 */
export async function resolveHostNode(hostname: string): Promise<string[]> {
  const answers = await lookup(hostname, { all: true });
  return answers.map((answer) => answer.address);
}
