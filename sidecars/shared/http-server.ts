// Starting, answering and stopping the programs' HTTP servers (node:http only: the image has no
// node_modules).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Listens on host:port and logs the address actually bound. With port 0 the OS picks a free port;
 * the log line is how a test (or a curious reader) learns which one.
 */
export function listen(server: Server, host: string, port: number, log: Logger): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      log.info('listening', { address: address.address, port: address.port });
      resolve(address);
    });
  });
}

/**
 * Stops accepting connections and resolves when the requests in flight have been answered.
 * close() alone would also wait for idle keep-alive connections, which a client (or the kubelet's
 * probes) may hold open for a long time; closing the idle ones lets shutdown finish promptly.
 */
export function closeServer(server: Server): Promise<void> {
  // A signal can arrive before listen() has finished; there is nothing to close then.
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
