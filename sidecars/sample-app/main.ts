// sample-app: the workshop's demo web app. Settings and routes: config.ts and server.ts.
import { hostname } from 'node:os';
import { closeServer, listen } from '../shared/http-server.ts';
import { configOrExit, exitWithError, stopOnSignals } from '../shared/lifecycle.ts';
import { createLogger } from '../shared/log.ts';
import { loadConfig } from './config.ts';
import { createRequestCounts, startMetricsWriter } from './metrics-file.ts';
import { createApp } from './server.ts';

const log = createLogger();
const config = configOrExit(log, () => loadConfig(process.env));
const counts = createRequestCounts();
const startedAt = new Date();

const metrics = config.metricsFile
  ? startMetricsWriter(
      config.metricsFile,
      config.metricsIntervalSeconds,
      () => ({
        app: 'sample-app',
        version: config.version,
        pod: config.podName,
        startedAt: startedAt.toISOString(),
        writtenAt: new Date().toISOString(),
        uptimeSeconds: (Date.now() - startedAt.getTime()) / 1000,
        requests: counts.snapshot(),
      }),
      log,
    )
  : undefined;

const server = createApp(config, counts, log);
// Signal handlers before listening: a pod deleted while starting must still stop cleanly.
stopOnSignals(log, async () => {
  // Stop taking requests first, then write the final counts that include them.
  await closeServer(server);
  await metrics?.stop();
});
log.info('sample-app starting', { version: config.version, pod: config.podName, hostname: hostname() });
await listen(server, config.host, config.port, log).catch((error) => exitWithError(log, 'cannot listen', error));
