import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { spawnChild, type Spawned } from './processes.js';

const run = promisify(execFile);

export interface RedisProcess extends Spawned {
  port: number;
}

/**
 * A `redis-server` of the test's own (a Sentinel with `--sentinel` and a config file) listening on `port` at
 * 127.0.0.1, with nothing on disk but under `dir`. Resolves once the port accepts connections.
 */
export async function startRedisServer(dir: string, port: number, args: string[]): Promise<RedisProcess> {
  await fs.mkdir(dir, { recursive: true });
  const server = spawnChild('redis-server', [...args, '--bind', '127.0.0.1', '--dir', dir, '--save', '']);
  for (let i = 0; ; i++) {
    if (server.child.exitCode !== null)
      throw new Error(`redis-server ${args.join(' ')} exited:\n${server.output()}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (connected) return { ...server, port };
    if (i === 100) {
      await server.kill();
      throw new Error(`redis-server did not listen on ${port} within 5 s:\n${server.output()}`);
    }
    await sleep(50);
  }
}

export interface Certificates {
  /** The CA's certificate (PEM), which clients trust. */
  ca: string;
  /** The server's certificate for 127.0.0.1 and localhost, signed by the CA, and its key. */
  cert: string;
  key: string;
}

/** A throwaway CA and a server certificate it signed, made with `openssl` under `dir`. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  await fs.mkdir(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(
    'openssl',
    ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem')].concat([
      '-days',
      '2',
      '-subj',
      '/CN=finetuned test CA',
    ]),
  );
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    at('redis.key'),
    '-out',
    at('redis.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  await fs.writeFile(at('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    at('redis.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at('san.ext'),
    '-out',
    at('redis.pem'),
  ]);
  return { ca: at('ca.pem'), cert: at('redis.pem'), key: at('redis.key') };
}
