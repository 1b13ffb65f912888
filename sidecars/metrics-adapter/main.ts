// metrics-adapter: serves the sample app's own metrics file as Prometheus metrics on /metrics
// (settings: config.ts; the translation: translate.ts and exposition.ts).
import { closeServer, listen } from '../shared/http-server.ts';
import { configOrExit, exitWithError, stopOnSignals } from '../shared/lifecycle.ts';
import { createLogger } from '../shared/log.ts';
import { loadConfig } from './config.ts';
import { createAdapter } from './server.ts';

const log = createLogger();
const config = configOrExit(log, () => loadConfig(process.env));
const server = createAdapter(config.metricsFile, log);
// Signal handlers before listening: a pod deleted while starting must still stop cleanly.
stopOnSignals(log, () => closeServer(server));
log.info('metrics-adapter starting', { metricsFile: config.metricsFile });
await listen(server, config.host, config.port, log).catch((error) => exitWithError(log, 'cannot listen', error));
