// What the site server promises a hostile or careless page (issue 15): it answers only as itself,
// whatever the route; the cluster panel's streams share one watch set per lesson, are capped, and
// leave nothing open against the API server when they close; one step per lesson runs at a time;
// an oversized body is refused from its headers, without being read.
import { CoreV1Api } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessons } from '../patterns/catalog.ts';
import { openContext, resetLesson } from '../patterns/runner.ts';
import { startServer } from '../site/server.ts';
import { testKubeConfig } from './cluster.ts';

const kc = testKubeConfig();
const [lesson, second] = lessons;
const apiPort = Number(new URL(kc.getCurrentCluster()!.server).port);
let roomy: Awaited<ReturnType<typeof startServer>>;
let tight: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  roomy = await startServer(0, kc, { streams: { perLesson: 300, total: 300 } });
  tight = await startServer(0, kc, { streams: { perLesson: 3, total: 5 } });
});

afterAll(async () => {
  await roomy?.close();
  await tight?.close();
});

interface Answer { status: number; body: string }

/** A request as curl would send it, with whatever Host header the caller names. */
function ask(port: number, path: string, { method = 'GET', headers = {} as Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => { body += chunk; }).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
}

/** Opens a cluster-panel stream; resolves once its status is in, with a way to close it. */
function openStream(port: number, lessonId: string): Promise<{ status: number; body: Promise<string>; sofar(): string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/api/lessons/${lessonId}/events` }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => { body += chunk; });
      const ended = new Promise<string>((done) => res.on('end', () => done(body)).on('close', () => done(body)));
      resolve({ status: res.statusCode!, body: ended, sofar: () => body, close: () => req.destroy() });
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error))).end();
  });
}

/** Our process's open TCP connections to the API server, from the kernel's own table. */
async function apiConnections(): Promise<number> {
  const port = apiPort.toString(16).toUpperCase().padStart(4, '0');
  const lines = (await readFile('/proc/self/net/tcp', 'utf8')).split('\n').slice(1);
  // Columns: sl, local address, remote address, state (01 = ESTABLISHED).
  return lines.map((l) => l.trim().split(/\s+/)).filter((f) => f[2]?.endsWith(`:${port}`) && f[3] === '01').length;
}

async function settled(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('the site server answers only as itself', () => {
  it('refuses another Host on the API, the event stream and the pages', async () => {
    const port = tight.port;
    for (const path of ['/api/status', `/api/lessons/${lesson.id}/events`, '/index.html', `/lessons/${lesson.id}.html`, '/assets/site.js']) {
      const answer = await ask(port, path, { headers: { Host: 'evil.example' } });
      expect({ path, ...answer }).toEqual({ path, status: 421, body: `this server answers only as 127.0.0.1:${port} or localhost:${port}, not as "evil.example"\n` });
    }
    // A rebinding page could also name our port under its own name; that is refused too.
    expect((await ask(port, '/api/status', { headers: { Host: `evil.example:${port}` } })).status).toBe(421);
    expect((await ask(port, '/api/status', { headers: { Host: `localhost:${port}` } })).status).toBe(200);
    expect((await ask(port, '/index.html')).status).toBe(200);
  });
});

describe('cluster panel streams', () => {
  it('share one watch set per lesson, and 300 streams opened and closed leave no API connection behind', async () => {
    const before = await apiConnections();
    const streams = await Promise.all(Array.from({ length: 300 }, () => openStream(roomy.port, lesson.id)));
    expect(streams.map((s) => s.status)).toEqual(Array(300).fill(200));
    await new Promise((r) => setTimeout(r, 1000)); // let every stream get its first snapshot
    const during = await apiConnections();
    const shared = roomy.stats?.();
    for (const s of streams) s.close();
    // And 300 pages that leave at once, while the server may still be setting their streams up.
    await Promise.all(Array.from({ length: 300 }, () => openStream(roomy.port, lesson.id).then((s) => s.close())));
    const after = async () => (await apiConnections()) <= before;
    expect(await settled(after), `API connections: ${before} before, ${during} with 300 streams, ${await apiConnections()} after`).toBe(true);
    console.log(`API server connections: ${before} before, ${during} with 300 open streams, ${await apiConnections()} after closing them`);
    // One informer per kind the lesson shows, plus its Events: for all 300 pages together.
    expect(shared).toEqual({ streams: 300, watches: lesson.live.kinds.length + 1 });
    expect(roomy.stats()).toEqual({ streams: 0, watches: 0 });
  });

  it('keep showing changes after the API server ends their watches', async () => {
    // The panel's watches ask the API server to end them after 25 s (operator/runtime/informer.ts),
    // as it also does on its own every few minutes; each is resumed from where it left off.
    const ctx = await openContext(lesson, kc);
    await resetLesson(lesson, ctx);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: lesson.id } } });
    const stream = await openStream(tight.port, lesson.id);
    try {
      expect(await settled(() => stream.sofar().includes('"rows":[]'))).toBe(true);
      await new Promise((r) => setTimeout(r, 30_000));
      await core.createNamespacedService({ namespace: lesson.id, body: { metadata: { name: 'after-the-timeout' }, spec: { ports: [{ port: 80 }] } } });
      expect(await settled(() => stream.sofar().includes('"name":"after-the-timeout"'))).toBe(true);
    } finally {
      stream.close();
      await resetLesson(lesson, ctx);
      await ctx.close();
    }
  });

  it('are capped per lesson (429) and in total (503), each refusal saying why in one line', async () => {
    const mine = await Promise.all([1, 2, 3].map(() => openStream(tight.port, lesson.id)));
    expect(mine.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await openStream(tight.port, lesson.id);
    expect({ status: fourth.status, body: await fourth.body }).toEqual({ status: 429, body: `too many open cluster panels for lesson ${lesson.id} (3); close some pages\n` });
    const others = await Promise.all([1, 2].map(() => openStream(tight.port, second.id)));
    expect(others.map((s) => s.status)).toEqual([200, 200]);
    const sixth = await openStream(tight.port, second.id);
    expect({ status: sixth.status, body: await sixth.body }).toEqual({ status: 503, body: 'too many open cluster panels (5); close some pages\n' });
    for (const s of [...mine, ...others]) s.close();
    expect(await settled(() => tight.stats().streams === 0)).toBe(true);
    // The places are given back: a new page gets in.
    const again = await openStream(tight.port, lesson.id);
    expect(again.status).toBe(200);
    again.close();
  });
});

describe('Run and Check', () => {
  it('run one step per lesson at a time: of 50 presses at once, one runs and 49 are refused', async () => {
    const ctx = await openContext(lesson, kc);
    await resetLesson(lesson, ctx);
    try {
      const url = `http://127.0.0.1:${tight.port}/api/lessons/${lesson.id}/steps/${lesson.steps[0].id}/run`;
      const presses = await Promise.all(Array.from({ length: 50 }, () =>
        fetch(url, { method: 'POST', headers: { Origin: `http://127.0.0.1:${tight.port}` } }).then(async (r) => ({ status: r.status, body: await r.text() }))));
      const ran = presses.filter((p) => p.status === 200);
      const refused = presses.filter((p) => p.status === 429);
      expect(ran).toHaveLength(1);
      expect(refused).toHaveLength(49);
      expect(JSON.parse(refused[0].body)).toEqual({ ok: false, message: `step "${lesson.steps[0].id}" of this lesson is still running: wait for it to end` });
      // The one that ran typed the step's commands once each.
      const commands = ran[0].body.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'command');
      expect(commands.map((e) => e.text)).toEqual(lesson.steps[0].commands);
    } finally {
      await resetLesson(lesson, ctx);
      await ctx.close();
    }
  });
});

describe('request bodies', () => {
  it('refuses a 50 MB body from its Content-Length, without reading it', async () => {
    const size = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024);
    const { status, body, written } = await new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
      let written = 0;
      const req = request({
        host: '127.0.0.1', port: tight.port, method: 'POST', path: `/api/lessons/${lesson.id}/steps/${lesson.steps[0].id}/run`,
        headers: { Origin: `http://127.0.0.1:${tight.port}`, 'Content-Length': size },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode!, body: text, written }));
      });
      // The server drops the connection after answering: writes then fail, which is the point.
      req.on('error', () => {});
      const pump = () => {
        while (written < size && !req.destroyed) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (written >= size) req.end();
      };
      pump();
      setTimeout(() => reject(new Error(`no answer; ${written} bytes written`)), 30_000).unref();
    });
    expect({ status, body }).toEqual({ status: 413, body: 'request bodies are limited to 1024 bytes\n' });
    console.log(`50 MB body: refused with 413 after the client had written ${(written / 1024 / 1024).toFixed(1)} MB`);
    expect(written).toBeLessThan(size / 5);
  });
});
