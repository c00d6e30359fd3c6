import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/*
 * A webhook receiver (a tenant's endpoint, or a buyer's) on 127.0.0.1, as the webhook tests use it: the dispatcher reaches it
 * over the real guarded edge (allowed only by the development setting), and what it got is checked
 * with the Standard Webhooks reference library.
 */

export interface Received {
  id: string;
  timestamp: string;
  body: string;
  signature: string;
}

/** The reference library's check of a message as the receiver got it. */
export const verify = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });

/** Answers a subscription challenge as a buyer's endpoint should: the challenge, as JSON. */
export const echoChallenge = (res: ServerResponse, r: Received) => {
  const { data } = JSON.parse(r.body) as { data: { challenge: string } };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: data.challenge }));
};

/** A receiver that answers each request by the next entry of `script` (then 204), and keeps what it was sent. */
export class Receiver {
  readonly received: Received[] = [];
  script: ((res: ServerResponse, received: Received) => void)[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = {
          id: String(req.headers['webhook-id']),
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers['webhook-signature']),
          timestamp: String(req.headers['webhook-timestamp']),
        };
        this.received.push(received);
        const next = this.script.shift();
        if (next) next(res, received);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
