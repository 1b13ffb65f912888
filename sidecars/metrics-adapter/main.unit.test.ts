// metrics-adapter as a real process; its output is read back with a real Prometheus text parser.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsSnapshot } from '../sample-app/metrics-file.ts';
import { eventually, runToExit, startServer, stopAllPrograms, stopProgram } from '../testing/run-program.ts';

afterEach(stopAllPrograms);

const base = { HOST: '127.0.0.1', PORT: '0' };

function snapshot(requests: MetricsSnapshot['requests']): MetricsSnapshot {
  const now = new Date().toISOString();
  return { app: 'sample-app', version: '1.0.0', pod: 'web-0', startedAt: now, writtenAt: now, uptimeSeconds: 12.5, requests };
}

describe('metrics-adapter', () => {
  it('translates the app file into Prometheus text that a real parser reads back exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metrics-adapter-'));
    const file = join(dir, 'metrics.json');
    // A path with a quote, a backslash and a newline: each would break the line if not escaped.
    const nasty = '/a"b\\c\nd';
    await writeFile(file, JSON.stringify(snapshot({ '/info': { '200': 3, '500': 1 }, [nasty]: { '404': 2 } })));
    const adapter = await startServer('metrics-adapter', { ...base, METRICS_FILE: file });

    const answer = await fetch(`${adapter.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parsePrometheus(await answer.text())).toEqual([
      {
        name: 'sample_app_http_requests_total',
        help: 'HTTP requests answered by the sample app, by route and status code.',
        type: 'COUNTER',
        metrics: [
          { labels: { path: '/info', status: '200' }, value: '3' },
          { labels: { path: '/info', status: '500' }, value: '1' },
          { labels: { path: nasty, status: '404' }, value: '2' },
        ],
      },
      { name: 'sample_app_uptime_seconds', help: expect.any(String), type: 'GAUGE', metrics: [{ value: '12.5' }] },
      { name: 'sample_app_info', help: expect.any(String), type: 'GAUGE', metrics: [{ labels: { version: '1.0.0', pod: 'web-0' }, value: '1' }] },
    ]);
  });

  it('answers 503 with the reason while the file is missing or invalid, and recovers without a restart', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'metrics-adapter-')), 'metrics.json');
    const adapter = await startServer('metrics-adapter', { ...base, METRICS_FILE: file });

    const missing = await fetch(`${adapter.url}/metrics`);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toBe(`metrics file ${file} does not exist (yet)\n`);

    await writeFile(file, '{"app": "sample-app", "vers');
    const broken = await fetch(`${adapter.url}/metrics`);
    expect(broken.status).toBe(503);
    expect(await broken.text()).toContain(`metrics file ${file} is not valid: not JSON`);

    await writeFile(file, JSON.stringify({ ...snapshot({}), requests: { '/': { '200': 'many' } } }));
    expect(await (await fetch(`${adapter.url}/metrics`)).text()).toBe(
      `metrics file ${file} is not valid: requests["/"]["200"] must be a count, got "many"\n`,
    );

    await writeFile(file, JSON.stringify(snapshot({ '/': { '200': 1 } })));
    expect((await fetch(`${adapter.url}/metrics`)).status).toBe(200);
  });

  it('exposes what a running sample app writes: the adapter pattern end to end', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'metrics-adapter-')), 'metrics.json');
    const app = await startServer('sample-app', { ...base, VERSION: '3.1.0', METRICS_FILE: file, METRICS_INTERVAL_SECONDS: '0.1' });
    const adapter = await startServer('metrics-adapter', { ...base, METRICS_FILE: file });
    for (let i = 0; i < 3; i++) await fetch(`${app.url}/info`);

    const families = await eventually(async () => {
      const parsed = parsePrometheus(await (await fetch(`${adapter.url}/metrics`)).text());
      const info = parsed[0]!.metrics.find((m) => m.labels?.path === '/info');
      return info?.value === '3' ? parsed : undefined;
    }, 'three /info requests on /metrics');
    expect(families[2]!.metrics[0]!.labels).toMatchObject({ version: '3.1.0' });
  });

  it('stops on SIGTERM with exit code 0, and refuses to start without METRICS_FILE', async () => {
    const adapter = await startServer('metrics-adapter', { ...base, METRICS_FILE: '/nonexistent/metrics.json' });
    expect(await stopProgram(adapter)).toBe(0);

    const result = await runToExit('metrics-adapter', base);
    expect(result.code).toBe(1);
    expect(result.logs[0]!.msg).toBe('invalid configuration: METRICS_FILE is required but not set');
  });
});
