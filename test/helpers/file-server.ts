import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Answers a request itself (a redirect, a slow or broken answer) and returns true, or leaves it to the files. */
export type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

export interface FileServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Every request's URL path (and query), in the order they came. */
  requests: string[];
  /** Puts a model's files (model.json and its weight files) in a folder, replacing any there. */
  serveFolder(folder: string, files: Map<string, Buffer>): void;
  /** Requests whose connection closed before their answer was complete. */
  abandoned: string[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 serving files from memory by path (`/<folder>/<name>`): where a model stands
 * for one published on the web, in tests that download nothing. `handle` answers first what it wants to.
 */
export async function startFileServer(handle: Handler = () => false): Promise<FileServer> {
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const abandoned: string[] = [];
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    requests.push(url);
    response.on('close', () => {
      if (!response.writableFinished) abandoned.push(url);
    });
    if (handle(request, response)) return;
    const body = files.get(new URL(url, 'http://x').pathname);
    if (!body) return void response.writeHead(404).end('not found');
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.byteLength,
    });
    response.end(body);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    abandoned,
    serveFolder(folder, folderFiles) {
      for (const [name, body] of folderFiles) files.set(`/${folder}/${name}`, body);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
