/**
 * Issue 11, defect 6: a client that hangs up in the middle of its upload was logged as a 500
 * with a stack trace. It is the client's doing: the service logs it as 499 "client closed
 * request", below error level, with no stack. A real Node server, a real socket.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { listen, type Listening } from '../../src/runtime/node/serve.ts';
import { openService, type Service } from '../../src/runtime/node/service.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('a client that aborts its upload, on a real Node server', () => {
  let dataDir: string;
  let service: Service;
  let server: Listening;
  const lines: string[] = [];
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-abort-'));
    port = await freePort();
    const config = parseConfig({ LAUNCHPROOF_ENV: 'test', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'debug' });
    service = await openService(config, { log: createJsonLogger('debug', (l) => lines.push(l)), pages: false });
    server = await listen(service, config);
  });
  afterAll(async () => {
    await server?.close();
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Sends headers promising `declared` bytes, sends fewer, waits until the server holds the request, and hangs up. */
  async function abortedUpload(path: string, declared: number, sent: string): Promise<void> {
    const before = lines.length;
    const socket: Socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // No timing guess: hang up once the server has parsed the headers and handed the request on,
    // so the handler is waiting for a body that will never come whole.
    const received = once(server.http, 'request');
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${sent}`,
    );
    await received;
    socket.destroy();
    // The access log line of the aborted request is written once its handler has finished.
    while (!lines.slice(before).some((l) => (JSON.parse(l) as { path?: string }).path === path)) {
      await new Promise((r) => setImmediate(r));
    }
  }

  it('logs the aborted upload as 499 at info level, with no error line, no stack and no 5xx', async () => {
    const before = lines.length;
    await abortedUpload('/v1/verify', 10_000, '{"credential": "eyJ');
    const logged = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    const request = logged.find((l) => l.msg === 'request' && l.path === '/v1/verify');
    expect(request, JSON.stringify(logged)).toMatchObject({ level: 'info', status: 499 });
    for (const l of logged) {
      expect(l.level, JSON.stringify(l)).not.toBe('error');
      expect(l).not.toHaveProperty('stack');
      if (typeof l.status === 'number') expect(l.status, JSON.stringify(l)).toBeLessThan(500);
    }
    // The server is fine afterwards.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
