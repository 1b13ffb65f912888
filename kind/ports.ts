import { createServer } from 'node:net';

/** Fails with a clear message when a loopback port is already taken. */
export async function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use; stop what uses it or choose another with --port`
        : `cannot use port ${port} on ${host}: ${error.message}`)));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
