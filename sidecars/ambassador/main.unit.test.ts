// ambassador as a real process, in front of a test backend and in front of a real sample app.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runToExit, startServer, stopAllPrograms, stopProgram } from '../testing/run-program.ts';
import { targetUrlFor } from './proxy.ts';

afterEach(stopAllPrograms);

const listenLocal = { LISTEN_HOST: '127.0.0.1', LISTEN_PORT: '0' };

describe('ambassador', () => {
  it('forwards method, path below the target path, query, headers and body, and passes the answer back', async () => {
    let seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string } | undefined;
    const backend = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen = { method: req.method, url: req.url, headers: req.headers, body };
      res.writeHead(201, { 'content-type': 'application/json', 'x-backend': 'orders' }).end('{"id":7}');
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const backendHost = `127.0.0.1:${(backend.address() as { port: number }).port}`;
    try {
      const ambassador = await startServer('ambassador', { ...listenLocal, TARGET_URL: `http://${backendHost}/api/` });
      const answer = await fetch(`${ambassador.url}/orders?limit=5&q=a?b`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
        body: '{"item":"book"}',
      });
      expect(answer.status).toBe(201);
      expect(answer.headers.get('x-backend')).toBe('orders');
      expect(await answer.text()).toBe('{"id":7}');
      expect(seen).toMatchObject({ method: 'POST', url: '/api/orders?limit=5&q=a?b', body: '{"item":"book"}' });
      expect(seen!.headers).toMatchObject({ host: backendHost, 'x-request-id': 'r-1' });
    } finally {
      backend.close();
    }
  });

  it('answers 502 while the backend is down and forwards again once it is back', async () => {
    const backendPort = await freePort();
    const backendEnv = { HOST: '127.0.0.1', PORT: String(backendPort) };
    let backend = await startServer('sample-app', { ...backendEnv, VERSION: 'v1' });
    const ambassador = await startServer('ambassador', { ...listenLocal, TARGET_URL: backend.url, RETRIES: '1' });
    // The app calls "its backend" on localhost, exactly as in the pod, and reaches the ambassador.
    const ambassadorPort = new URL(ambassador.url).port;
    const app = await startServer('sample-app', { HOST: '127.0.0.1', PORT: '0', BACKEND_URL: `http://localhost:${ambassadorPort}/info` });

    expect(await (await fetch(`${ambassador.url}/info`)).json()).toMatchObject({ version: 'v1' });
    expect(await (await fetch(`${app.url}/backend`)).json()).toMatchObject({ version: 'v1' });

    expect(await stopProgram(backend)).toBe(0);
    const down = await fetch(`${ambassador.url}/info`);
    expect(down.status).toBe(502);
    expect(await down.json()).toEqual({
      error: `backend http://127.0.0.1:${backendPort} is unreachable`,
      target: `http://127.0.0.1:${backendPort}/info`,
      cause: 'ECONNREFUSED',
      attempts: 2,
    });
    // The app passes the ambassador's answer through, so the user sees the same clear error.
    const viaApp = await fetch(`${app.url}/backend`);
    expect(viaApp.status).toBe(502);
    expect((await viaApp.json()).error).toBe(`backend http://127.0.0.1:${backendPort} is unreachable`);

    // A new version of the backend on the same address: nothing else is restarted.
    backend = await startServer('sample-app', { ...backendEnv, VERSION: 'v2' });
    const back = await fetch(`${ambassador.url}/info`);
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ version: 'v2' });
    expect(await (await fetch(`${app.url}/backend`)).json()).toMatchObject({ version: 'v2' });
  });

  it('keeps requests on the target host, whatever the path looks like', () => {
    const target = new URL('http://orders.shop.svc:8080/api');
    expect(targetUrlFor(target, '//evil.example/steal?x=1').href).toBe('http://orders.shop.svc:8080/api//evil.example/steal?x=1');
    expect(targetUrlFor(target, '/').href).toBe('http://orders.shop.svc:8080/api/');
  });

  it('stops on SIGTERM with exit code 0, and refuses to start without TARGET_URL', async () => {
    const ambassador = await startServer('ambassador', { ...listenLocal, TARGET_URL: 'http://127.0.0.1:1' });
    expect(await stopProgram(ambassador)).toBe(0);

    const result = await runToExit('ambassador', listenLocal);
    expect(result.code).toBe(1);
    expect(result.logs[0]!.msg).toBe('invalid configuration: TARGET_URL is required but not set');
  });
});
