import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/* A webhook receiver on 127.0.0.1 and the reference library's check, shared by the webhook tests. */

export interface Received {
  id: string;
  timestamp: string;
  body: string;
  signature: string;
}

/** The reference library's check of a message as the receiver got it. */
export const verify = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });

/** A receiver that answers each request by the next entry of `script` (then 204), and keeps what it was sent. */
export class Receiver {
  readonly received: Received[] = [];
  script: ((res: ServerResponse) => void)[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          id: String(req.headers['webhook-id']),
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers['webhook-signature']),
          timestamp: String(req.headers['webhook-timestamp']),
        });
        const next = this.script.shift();
        if (next) next(res);
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
