// ambassador: a proxy in the app's pod that stands in for a remote service (settings: config.ts;
// the forwarding: proxy.ts). The app talks to localhost; the ambassador talks to the world.
import { createServer } from 'node:http';
import { closeServer, listen } from '../shared/http-server.ts';
import { configOrExit, exitWithError, stopOnSignals } from '../shared/lifecycle.ts';
import { createLogger } from '../shared/log.ts';
import { loadConfig } from './config.ts';
import { createProxy } from './proxy.ts';

const log = createLogger();
const config = configOrExit(log, () => loadConfig(process.env));
const server = createServer(createProxy(config.targetUrl, config.retries, log));
// Signal handlers before listening: a pod deleted while starting must still stop cleanly.
stopOnSignals(log, () => closeServer(server));
log.info('ambassador starting', { target: config.targetUrl.href, retries: config.retries });
await listen(server, config.host, config.port, log).catch((error) => exitWithError(log, 'cannot listen', error));
