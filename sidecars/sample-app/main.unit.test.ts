// The sample app as a real process on a loopback port.
import { createServer, request } from 'node:http';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runToExit, startServer, stopAllPrograms, stopProgram } from '../testing/run-program.ts';
import type { MetricsSnapshot } from './metrics-file.ts';

afterEach(stopAllPrograms);

const base = { HOST: '127.0.0.1', PORT: '0' };

/** A GET with the path sent exactly as written: fetch() would normalize `..` away before sending. */
async function rawGet(url: string, path: string) {
  const req = request(`${url}${path}`, { path });
  req.end();
  const [res] = await once(req, 'response');
  let body = '';
  for await (const chunk of res) body += chunk;
  return { status: res.statusCode as number, body };
}

describe('sample-app', () => {
  it('greets with its version and reports version, pod name and hostname on /info', async () => {
    const app = await startServer('sample-app', { ...base, VERSION: '1.2.3', POD_NAME: 'web-abc' });
    expect(await (await fetch(`${app.url}/`)).text()).toContain('version 1.2.3');
    const info = await (await fetch(`${app.url}/info`)).json();
    expect(info).toMatchObject({ version: '1.2.3', pod: 'web-abc' });
    expect(info.hostname).toEqual(expect.any(String));
  });

  it('under a ClowdApp, serves on the public port its cdappconfig.json names', async () => {
    const free = createServer().listen(0, '127.0.0.1');
    await once(free, 'listening');
    const publicPort = (free.address() as { port: number }).port;
    free.close();
    const dir = await mkdtemp(join(tmpdir(), 'sample-app-'));
    const config = join(dir, 'cdappconfig.json');
    await writeFile(config, JSON.stringify({ publicPort, webPort: publicPort, metricsPort: 9000, metricsPath: '/metrics', logging: { type: 'null' } }));
    await startServer('sample-app', { HOST: '127.0.0.1', ACG_CONFIG: config });
    expect((await fetch(`http://127.0.0.1:${publicPort}/healthz`)).status).toBe(200);
  });

  it('flips readiness and liveness by hand, for the probe lessons', async () => {
    const app = await startServer('sample-app', base);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

    expect(await (await fetch(`${app.url}/readyz/toggle`, { method: 'POST' })).json()).toEqual({ healthy: true, ready: false });
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

    await fetch(`${app.url}/healthz/toggle`, { method: 'POST' });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(500);

    await fetch(`${app.url}/readyz/toggle`, { method: 'POST' });
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    // Toggling needs POST: a stray GET (a browser prefetch, a probe) must not change the state.
    expect((await fetch(`${app.url}/readyz/toggle`)).status).toBe(405);
  });

  it('serves CONTENT_DIR under /content/ and nothing outside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sample-app-'));
    const content = join(dir, 'content');
    await mkdir(content);
    await writeFile(join(content, 'index.html'), '<h1>synced</h1>');
    await writeFile(join(content, '.index.html.1234.tmp'), 'half a file');
    await writeFile(join(dir, 'secret.txt'), 'do not serve');
    await symlink(join(dir, 'secret.txt'), join(content, 'escape.txt'));
    const app = await startServer('sample-app', { ...base, CONTENT_DIR: content });

    const page = await fetch(`${app.url}/content/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toBe('<h1>synced</h1>');
    expect((await fetch(`${app.url}/content/index.html`)).status).toBe(200);

    for (const path of ['/content/../secret.txt', '/content/..%2fsecret.txt', '/content/%2e%2e%2fsecret.txt', '/content/escape.txt', '/content/.index.html.1234.tmp', '/content/missing.html']) {
      const answer = await rawGet(app.url, path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.body).not.toContain('do not serve');
    }
  });

  it('passes the backend answer through on /backend, and answers 502 naming the backend when it is down', async () => {
    const backend = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('from the backend'));
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}/`;
    try {
      const app = await startServer('sample-app', { ...base, BACKEND_URL: backendUrl });
      const answer = await fetch(`${app.url}/backend`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe('from the backend');

      backend.close();
      backend.closeAllConnections();
      await once(backend, 'close');
      const failed = await fetch(`${app.url}/backend`);
      expect(failed.status).toBe(502);
      expect((await failed.json()).error).toBe(`backend ${backendUrl} did not answer: ECONNREFUSED`);
    } finally {
      backend.close();
    }
  });

  it('writes request counts by route and status to METRICS_FILE, in its own JSON format', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sample-app-'));
    const metricsFile = join(dir, 'metrics.json');
    const app = await startServer('sample-app', { ...base, VERSION: '2.0.0', METRICS_FILE: metricsFile, METRICS_INTERVAL_SECONDS: '0.1' });
    await fetch(`${app.url}/info`);
    await fetch(`${app.url}/info`);
    await fetch(`${app.url}/no/such/page`);

    const snapshot = await eventually(async () => {
      const parsed = JSON.parse(await readFile(metricsFile, 'utf8')) as MetricsSnapshot;
      return parsed.requests['/info']?.['200'] === 2 ? parsed : undefined;
    }, 'two /info requests in the metrics file');
    expect(snapshot).toMatchObject({ app: 'sample-app', version: '2.0.0', requests: { unmatched: { '404': 1 } } });
    expect(snapshot.uptimeSeconds).toBeGreaterThan(0);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const app = await startServer('sample-app', base);
    expect(await stopProgram(app)).toBe(0);
    expect(app.logs.map((line) => line.msg)).toContain('stopped');
  });

  it('refuses bad configuration with a message naming the variable', async () => {
    const result = await runToExit('sample-app', { PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.logs).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'invalid configuration: PORT must be a port number (0-65535), got "eighty"' }),
    );
    const badUrl = await runToExit('sample-app', { BACKEND_URL: 'localhost:9000' });
    expect(badUrl.code).toBe(1);
    expect(badUrl.logs[0]!.msg).toContain('BACKEND_URL must be an http:// or https:// URL');
  });

  it('exits 1 naming the problem when its port is taken', async () => {
    const first = await startServer('sample-app', base);
    const second = await runToExit('sample-app', { ...base, PORT: new URL(first.url).port });
    expect(second.code).toBe(1);
    expect(second.logs.at(-1)).toMatchObject({ level: 'error', msg: 'cannot listen', error: expect.stringContaining('EADDRINUSE') });
  });
});
