import http from 'node:http';
import https from 'node:https';
import { Webhook as Signer } from 'standardwebhooks';
import type { CheckedTarget } from '../net/outbound-address.js';

/** How much of a response is read; the rest is never waited for. */
const MAX_RESPONSE_BYTES = 16 * 1024;
/** How much of a failed response's body is kept with the attempt, to say why. */
const EXCERPT_CHARS = 200;

export const USER_AGENT = 'finetuned-webhooks/1';

/** A signed request to make: the event's id and body, and the endpoint's secret. */
export interface SignedRequest {
  eventId: string;
  body: string;
  secret: string;
}

/** What came of one request: the status if the endpoint answered, how long it took, and what went wrong. */
export interface SendResult {
  statusCode: number | null;
  latencyMs: number;
  /** Null for a 2xx. */
  error: string | null;
}

/** The Standard Webhooks headers of one attempt: signed over its id, its timestamp (now) and the body. */
export function signedHeaders(request: SignedRequest, now = new Date()): Record<string, string> {
  return {
    'webhook-id': request.eventId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Signer(request.secret).sign(request.eventId, now, request.body),
  };
}

/** The start of a body, as one line of printable text. */
const excerptOf = (body: Buffer) =>
  body
    .toString('utf8')
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, EXCERPT_CHARS);

/** Why a response that is not a 2xx failed. */
function failureOf(statusCode: number, body: Buffer): string {
  if (statusCode >= 300 && statusCode < 400) return `HTTP ${statusCode}: redirects are not followed`;
  const excerpt = excerptOf(body);
  return excerpt ? `HTTP ${statusCode}: ${excerpt}` : `HTTP ${statusCode}`;
}

/**
 * POSTs a signed event to a checked target: to the address it was checked at (its `lookup`), within `timeoutMs`
 * for the whole exchange, without following redirects, reading at most 16 KiB of the response. Never throws.
 */
export function sendSigned(
  target: CheckedTarget,
  request: SignedRequest,
  timeoutMs: number,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const transport = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ statusCode, latencyMs: elapsed(), error });
    };
    const outgoing = transport.request(target.url, {
      method: 'POST',
      // A connection of its own, closed after: nothing pooled is reused for another address.
      agent: false,
      lookup: target.lookup,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(request.body),
        'user-agent': USER_AGENT,
        ...signedHeaders(request),
      },
    });
    const timer = setTimeout(() => {
      settle(null, `timed out after ${timeoutMs} ms`);
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      settle(null, error.code ? `${error.code}: ${error.message}` : error.message),
    );
    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let read = 0;
      const finish = () => {
        settle(status, status >= 200 && status < 300 ? null : failureOf(status, Buffer.concat(chunks)));
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        read += chunk.length;
        if (read >= MAX_RESPONSE_BYTES) finish();
      });
      response.on('end', finish);
      response.on('error', finish);
    });
    outgoing.end(request.body);
  });
}
