import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ProblemError } from '../errors.js';
import { declaredCharset, isUtf8Charset } from '../http/charset.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route decodes bodies in any charset itself (datasets); elsewhere only UTF-8 is taken. */
    anyCharset?: boolean;
  }
}

const bodyTimedOut = (ms: number) =>
  new ProblemError(
    408,
    'body_timeout',
    `the request body sent nothing for ${ms} ms; the connection is closed`,
  );

/** After an early reply (a 401, a 413), how much of the unread body is drained, so the reply is read, not reset. */
const LINGER_BYTES = 1024 * 1024;

/**
 * How request bodies are received. A body that stalls is cut off with a 408 after `HTTP_BODY_IDLE_TIMEOUT_MS`
 * without data (a steady upload, however slow, goes on), whether the body parser or the route (a multipart
 * upload) is reading it; after a reply sent before its body was read (a 401, a 413), the rest is drained for a
 * little while so that the client sees the reply, then the connection is closed; a body declared in a charset other
 * than UTF-8 is a 415 where the route cannot decode it.
 */
export default fp(
  async function requestIntake(app: FastifyInstance) {
    const idleMs = app.config.HTTP_BODY_IDLE_TIMEOUT_MS;
    const lingerMs = Math.min(5_000, idleMs);

    // Shared by every request (each reads its own from `this`): nothing is allocated per request for them.
    // Node's server gives a socket's 'timeout' to the request first. Whoever reads the body (the body parser,
    // or busboy for a multipart upload) gets the error and answers it as a problem. Once, as a 'once' would.
    function onBodyTimeout(this: IncomingMessage) {
      this.off('timeout', onBodyTimeout);
      if (this.listenerCount('error') > 0) this.emit('error', bodyTimedOut(idleMs));
      else this.socket.destroy();
    }
    function onBodyEnd(this: IncomingMessage) {
      this.off('timeout', onBodyTimeout);
      if (!this.socket.destroyed) this.socket.setTimeout(0);
    }

    // Hooks with a callback, not a promise: these run on every request.
    app.addHook('onRequest', (request, _reply, done) => {
      const { raw } = request;
      const socket = raw.socket as Socket | undefined;
      // Injected requests (tests) have neither a real socket nor `complete`.
      if (raw.complete === false && typeof socket?.setTimeout === 'function') {
        socket.setTimeout(idleMs);
        raw.on('timeout', onBodyTimeout);
        raw.once('end', onBodyEnd);
      }
      done();
    });

    app.addHook('onResponse', (request, _reply, done) => {
      const { raw } = request;
      if (raw.complete === false && !raw.socket.destroyed) linger(raw);
      done();
    });

    /**
     * Node discards what is left of the body; this bounds how long and how much, rather than wait for the body's
     * full length (or its idle timeout) on a connection whose request was refused.
     */
    function linger(raw: IncomingMessage) {
      let drained = 0;
      const cutOff = setTimeout(() => raw.socket.destroy(), lingerMs).unref();
      raw.on('data', (chunk: Buffer) => {
        drained += chunk.byteLength;
        if (drained > LINGER_BYTES) raw.socket.destroy();
      });
      raw.once('end', () => clearTimeout(cutOff));
      raw.resume();
    }

    app.addHook('preParsing', (request, _reply, _payload, done) => {
      if (request.routeOptions.config.anyCharset) return done();
      const charset = declaredCharset(request.headers['content-type']);
      if (isUtf8Charset(charset)) return done();
      done(
        new ProblemError(415, 'unsupported_charset', `send the body as UTF-8, not '${charset}'`, {
          charset,
        }),
      );
    });
  },
  { name: 'request-intake', dependencies: ['config'] },
);
