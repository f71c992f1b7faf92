import { createRequire } from 'node:module';
import pino, { type LoggerOptions } from 'pino';
import { redactUrl } from './http/redact-url.js';

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** A request as Fastify logs it, with secrets in its query string redacted. */
function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: request.url === undefined ? undefined : redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** pino options: JSON lines, pretty only on a terminal (when pino-pretty is installed), secrets redacted. */
export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    level,
    name,
    redact: ['req.headers.authorization', 'headers.authorization', '*.secret'],
    serializers: { req: serializeRequest },
    ...(process.stdout.isTTY && prettyAvailable()
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  };
}

export function createLogger(level: string, name: string) {
  return pino(loggerOptions(level, name));
}
