import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { readinessAssessment } from '../http/helpers.ts';
import { baseEnv, freePort, runCli, startService, stopAllServices } from '../support/service-process.ts';

/*
 * Issue 14's proof, on the server as it runs: "a buyer subscription receives a revocation notice
 * within the dispatcher's interval, and its signature verifies against the tenant's published
 * key". Nothing here drives the dispatcher: the server's own sequencer and dispatcher send it.
 */
describe('a buyer’s revocation notice from the running server', { timeout: 120_000 }, () => {
  afterAll(() => stopAllServices());

  it('is sent by the server’s own dispatcher, and its JWS opens with the key the tenant publishes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-buyer-notice-'));
    const received: { headers: Record<string, string>; body: string }[] = [];
    const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ headers: req.headers as Record<string, string>, body });
        const message = JSON.parse(body) as { type: string; data: { challenge?: string } };
        if (message.type === 'subscription.challenge') res.writeHead(200).end(message.data.challenge);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/buyer`;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { ...baseEnv(dataDir, port), PUBLIC_URL: base, WEBHOOKS_ALLOW_LOCAL: 'true' };
    try {
      expect(runCli(['init'], env).status).toBe(0);
      expect(runCli(['tenant', 'create', 'acme', '--name', 'Acme'], env).status).toBe(0);
      const created = runCli(['api-key', 'create', '--tenant', 'acme', '--roles', 'issuer,status', '--label', 'test'], env);
      expect(created.status, created.stderr).toBe(0);
      const { token } = JSON.parse(created.stdout) as { token: string };
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const server = await startService(env);

      const issued = await fetch(`${base}/v1/t/acme/attestations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt'] }),
      });
      expect(issued.status).toBe(201);
      const { attestation_id } = (await issued.json()) as { attestation_id: string };
      const shared = await fetch(`${base}/v1/t/acme/attestations/${attestation_id}/shares`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ expires_at: new Date(Date.now() + 86_400_000).toISOString() }),
      });
      const { token: shareToken } = (await shared.json()) as { token: string };
      // The buyer: no account, only the link.
      const sub = await fetch(`${base}/s/${shareToken}/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: hookUrl }),
      });
      expect(sub.status, await sub.clone().text()).toBe(201);
      const { secret } = (await sub.json()) as { secret: string };

      const revoked = await fetch(`${base}/v1/t/acme/attestations/${attestation_id}/status`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ status: 'revoked', reason: 'customer asked' }),
      });
      expect(revoked.status).toBe(200);
      const notices = () => received.filter((r) => r.body.includes('"notice.revoked"'));
      await expect.poll(() => notices().length, { timeout: 30_000, interval: 100 }).toBe(1);

      const message = new Webhook(secret).verify(notices()[0]!.body, notices()[0]!.headers) as {
        data: { attestation_id: string; notice: string };
      };
      expect(message.data.attestation_id).toBe(attestation_id);
      const { kid, alg } = decodeProtectedHeader(message.data.notice);
      const { keys } = (await (await fetch(`${base}/t/acme/jwks.json`)).json()) as { keys: (JWK & { kid: string })[] };
      const jwk = keys.find((k) => k.kid === kid!.split('#')[1]);
      expect(jwk).toBeDefined();
      const { payload } = await compactVerify(message.data.notice, await importJWK(jwk!, alg));
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ attestation_id, change: 'revoked' });
      expect(await server.stop()).toBe(0);
    } finally {
      receiver.closeAllConnections();
      receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
