import { createRequire } from 'node:module';
import pino, { type LoggerOptions } from 'pino';

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** pino options: JSON lines, pretty only on a terminal (when pino-pretty is installed), secrets redacted. */
export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    level,
    name,
    redact: ['req.headers.authorization', 'headers.authorization', '*.secret'],
    ...(process.stdout.isTTY && prettyAvailable()
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  };
}

export function createLogger(level: string, name: string) {
  return pino(loggerOptions(level, name));
}
