import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import {
  checkOutboundUrl,
  OutboundUrlError,
  parseOutboundUrl,
  type CheckedTarget,
} from './outbound-address.js';

/** Why a bounded fetch failed. */
export type FetchFailureReason =
  | 'invalid_url'
  | 'private_address'
  | 'unresolvable'
  | 'status'
  | 'redirects'
  | 'too_large'
  | 'timeout'
  | 'network';

/** A fetch that did not bring a body back: why, the URL it failed at, and the status the remote answered. */
export class FetchFailure extends Error {
  override name = 'FetchFailure';

  constructor(
    readonly reason: FetchFailureReason,
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface FetchBounds {
  /** Private, loopback and link-local addresses are allowed (a closed network, tests). */
  allowPrivate: boolean;
  /** Redirects followed; one more is a failure. */
  maxRedirects: number;
  /** Most bytes the body may have, decoded. */
  maxBytes: number;
  /** Aborted at the caller's deadline: the fetch fails with 'timeout' at whatever step it is. */
  signal: AbortSignal;
  userAgent: string;
  /** How each URL, the first and every redirect's, is checked before it is connected to; the address guard's. */
  check?: (url: URL) => Promise<CheckedTarget>;
}

/** The body fetched, and the URL it came from after redirects. */
export interface Fetched {
  body: Buffer;
  url: URL;
}

const timedOut = (url: URL) => new FetchFailure('timeout', 'the fetch ran out of time', url.href);

/** `promise`, or a timeout once `signal` aborts: a DNS look-up cannot itself be cancelled. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, url: URL): Promise<T> {
  if (signal.aborted) return Promise.reject(timedOut(url));
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(timedOut(url));
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** The URL checked by the address guard; its refusals as fetch failures. */
async function checked(url: URL, bounds: FetchBounds): Promise<CheckedTarget> {
  const check = bounds.check ?? ((u: URL) => checkOutboundUrl(u, { allowPrivate: bounds.allowPrivate }));
  try {
    return await raceAbort(check(url), bounds.signal, url);
  } catch (error) {
    if (!(error instanceof OutboundUrlError)) throw error;
    throw new FetchFailure(error.reason, error.message, url.href);
  }
}

/** The response's body decoded as its Content-Encoding says, for the encodings asked for. */
function decoded(response: IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return response.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return response.pipe(zlib.createInflate());
  if (encoding === 'br') return response.pipe(zlib.createBrotliDecompress());
  return response;
}

type Answer = { location: string } | { body: Buffer };

/** Reads a 2xx body, failing it as soon as it passes `maxBytes`, or when the deadline comes. */
function readBody(response: IncomingMessage, url: URL, { maxBytes, signal }: FetchBounds): Promise<Buffer> {
  const tooLarge = () =>
    new FetchFailure('too_large', `the file is larger than the ${maxBytes} bytes left`, url.href);
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (!response.headers['content-encoding'] && declared > maxBytes) {
    response.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const body = decoded(response);
    const chunks: Buffer[] = [];
    let read = 0;
    const abort = () => fail(timedOut(url));
    const fail = (failure: FetchFailure) => {
      signal.removeEventListener('abort', abort);
      response.destroy();
      body.destroy();
      reject(failure);
    };
    signal.addEventListener('abort', abort, { once: true });
    const broken = (error: Error) =>
      fail(
        signal.aborted
          ? timedOut(url)
          : new FetchFailure('network', `the response broke off: ${error.message}`, url.href),
      );
    body.on('data', (chunk: Buffer) => {
      read += chunk.byteLength;
      if (read > maxBytes) return fail(tooLarge());
      chunks.push(chunk);
    });
    body.on('end', () => {
      signal.removeEventListener('abort', abort);
      resolve(Buffer.concat(chunks));
    });
    body.on('error', broken);
    response.on('error', broken);
    response.on('close', () => {
      if (!response.complete) broken(new Error('the connection closed early'));
    });
  });
}

/** One GET to a checked target: a redirect's Location, or a 2xx body; any other status is a failure. */
function getOnce(target: CheckedTarget, bounds: FetchBounds): Promise<Answer> {
  const { url } = target;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = transport.get(url, {
      // A connection of its own, to the address checked, closed after: nothing pooled goes elsewhere.
      agent: false,
      lookup: target.lookup,
      signal: bounds.signal,
      headers: {
        'user-agent': bounds.userAgent,
        accept: '*/*',
        'accept-encoding': 'gzip, deflate, br',
      },
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        bounds.signal.aborted
          ? timedOut(url)
          : new FetchFailure('network', `${error.code ?? 'error'}: ${error.message}`, url.href),
      ),
    );
    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        response.destroy();
        return resolve({ location });
      }
      if (status < 200 || status >= 300) {
        response.destroy();
        return reject(new FetchFailure('status', `the server answered HTTP ${status}`, url.href, status));
      }
      readBody(response, url, bounds).then((body) => resolve({ body }), reject);
    });
  });
}

/** Where a redirect goes: an http(s) URL, relative to the one redirecting, never from https down to http. */
function redirectTarget(location: string, from: URL): URL {
  let next: URL;
  try {
    next = parseOutboundUrl(new URL(location, from).href);
  } catch (error) {
    const why = error instanceof OutboundUrlError ? error.message : 'is not a URL';
    throw new FetchFailure('invalid_url', `a redirect to '${location}', which ${why}`, from.href);
  }
  if (from.protocol === 'https:' && next.protocol === 'http:')
    throw new FetchFailure('invalid_url', `a redirect from https down to http (${next.href})`, from.href);
  return next;
}

/**
 * GETs `url` within bounds: every URL, the first and each redirect's, checked by the address guard (private
 * addresses refused unless `allowPrivate`, the connection pinned to the address checked), at most `maxRedirects`
 * redirects, a body of at most `maxBytes`, all before `signal` aborts. Throws a {@link FetchFailure}.
 */
export async function fetchBounded(url: URL, bounds: FetchBounds): Promise<Fetched> {
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const target = await checked(current, bounds);
    const answer = await getOnce(target, bounds);
    if ('body' in answer) return { body: answer.body, url: current };
    if (redirects >= bounds.maxRedirects)
      throw new FetchFailure('redirects', `more than ${bounds.maxRedirects} redirects`, current.href);
    current = redirectTarget(answer.location, current);
  }
}
