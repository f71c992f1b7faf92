import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './processes.js';

/** A request the receiver got. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** How the receiver answers a request, given how many requests with its webhook-id came before it. */
export type Answer = (
  request: Received,
  sameIdBefore: number,
) => { status: number; headers?: Record<string, string>; body?: string };

export interface WebhookReceiver {
  url(path: string): string;
  received: Received[];
  /** The requests so far with this webhook-id. */
  withId(id: string): Received[];
  /** Waits until the requests received satisfy `check`. */
  until(what: string, check: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 standing in for a tenant's webhook endpoint. */
export async function startReceiver(answer: Answer): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const withId = (id: string) => received.filter((request) => request.headers['webhook-id'] === id);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
      );
      const request = { path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
      const before = withId(headers['webhook-id'] ?? '').length;
      received.push(request);
      const { status, headers: extra = {}, body = '' } = answer(request, before);
      res.writeHead(status, extra).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    withId,
    until: async (what, check, timeoutMs = 60_000) => {
      await waitFor(what, async () => (check(received) ? true : undefined), timeoutMs);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
