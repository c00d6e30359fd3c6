import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readinessAssessment } from '../http/helpers.ts';
import { baseEnv, freePort, runCli, startService, stopAllServices } from '../support/service-process.ts';

/*
 * Issue 14's proof: "a kill -9 of the service mid-dispatch loses nothing". The server is killed
 * while its dispatcher waits on the receiver's answer; the next start sends the same event again
 * (same webhook-id) once the dead dispatcher's lease has run out, and records it delivered.
 */
describe('webhook delivery across a kill -9 of the server', { timeout: 240_000 }, () => {
  afterAll(() => stopAllServices());

  it('sends the event the killed server was sending once the server is back, with the same webhook-id', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-webhook-kill-'));
    const requests: { id: string; at: number }[] = [];
    let hang = true;
    const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        requests.push({ id: String(req.headers['webhook-id']), at: Date.now() });
        // The first request is never answered: the server is killed while it waits.
        if (hang) hang = false;
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const port = await freePort();
    const env = { ...baseEnv(dataDir, port), PUBLIC_URL: `http://127.0.0.1:${port}`, WEBHOOKS_ALLOW_LOCAL: 'true' };
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(runCli(['init'], env).status).toBe(0);
      expect(runCli(['tenant', 'create', 'acme', '--name', 'Acme'], env).status).toBe(0);
      const created = runCli(['api-key', 'create', '--tenant', 'acme', '--roles', 'admin,issuer', '--label', 'test'], env);
      expect(created.status, created.stderr).toBe(0);
      const { token } = JSON.parse(created.stdout) as { token: string };
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

      const first = await startService(env);
      const hook = await fetch(`${base}/v1/t/acme/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: hookUrl, event_types: ['attestation.issued'] }),
      });
      expect(hook.status, await hook.clone().text()).toBe(201);
      const { id } = (await hook.json()) as { id: string };
      const issued = await fetch(`${base}/v1/t/acme/attestations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt'] }),
      });
      expect(issued.status).toBe(201);
      await expect.poll(() => requests.length, { timeout: 60_000, interval: 100 }).toBe(1);

      first.child.kill('SIGKILL');
      await new Promise<void>((r) => (first.exit ? r() : first.child.once('exit', () => r())));
      expect(first.exit?.signal).toBe('SIGKILL');

      const second = await startService(env);
      await expect.poll(() => requests.length, { timeout: 120_000, interval: 250 }).toBe(2);
      expect(requests[1]!.id).toBe(requests[0]!.id);
      const log = await fetch(`${base}/v1/t/acme/webhooks/${id}/deliveries`, { headers });
      const { deliveries } = (await log.json()) as { deliveries: { outcome: string; event_id: string }[] };
      expect(deliveries).toEqual([expect.objectContaining({ outcome: 'delivered', event_id: requests[0]!.id })]);
      expect(await second.stop()).toBe(0);
    } finally {
      receiver.closeAllConnections();
      receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
