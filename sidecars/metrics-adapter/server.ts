// GET /metrics: read the file now, translate, answer. Reading on every scrape (rather than caching)
// keeps the adapter stateless: what Prometheus sees is whatever the app wrote last.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { sendText } from '../shared/http-server.ts';
import type { Logger } from '../shared/log.ts';
import { contentType, render } from './exposition.ts';
import { parseSnapshot, toMetricFamilies } from './translate.ts';

export function createAdapter(metricsFile: string, log: Logger): Server {
  return createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://adapter.invalid').pathname;
    if (path !== '/metrics') return sendText(res, 404, 'not found; metrics are on /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'use GET /metrics\n');

    let text: string;
    try {
      text = await readFile(metricsFile, 'utf8');
    } catch (error) {
      // 503, not 500: the adapter works, its input is not there (yet). Right after the pod starts
      // the app may not have written the file; the next scrape will find it.
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (yet)' : `cannot be read (${(error as Error).message})`;
      return sendText(res, 503, `metrics file ${metricsFile} ${reason}\n`);
    }
    try {
      sendText(res, 200, render(toMetricFamilies(parseSnapshot(text))), contentType);
    } catch (error) {
      log.warn('invalid metrics file', { file: metricsFile, error });
      sendText(res, 503, `metrics file ${metricsFile} is not valid: ${(error as Error).message}\n`);
    }
  });
}
