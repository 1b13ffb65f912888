// content-sync: the sidecar that keeps a web server's content up to date (settings: config.ts).
// It runs beside the app in the same pod and shares only a volume with it. The app serves files;
// this container fetches them. Neither knows the other's code, and each can be replaced alone.
import { mkdir } from 'node:fs/promises';
import { configOrExit, exitWithError, stopOnSignals } from '../shared/lifecycle.ts';
import { createLogger } from '../shared/log.ts';
import { loadConfig } from './config.ts';
import { syncOnce } from './sync.ts';

const log = createLogger();
const config = configOrExit(log, () => loadConfig(process.env));
const source = config.source.kind === 'url' ? config.source.url.href : config.source.path;

let timer: NodeJS.Timeout | undefined;
let current: Promise<void> = Promise.resolve();
let stopping = false;

stopOnSignals(log, async () => {
  stopping = true;
  clearTimeout(timer);
  // Let a sync in progress finish, so no temporary file is left behind in the shared volume.
  await current;
});

await mkdir(config.targetDir, { recursive: true }).catch((error) => exitWithError(log, `cannot create TARGET_DIR ${config.targetDir}`, error));
log.info('content-sync started', { source, targetDir: config.targetDir, intervalSeconds: config.intervalSeconds });

async function sync(): Promise<void> {
  try {
    const changes = await syncOnce(config.source, config.targetDir);
    if (changes.added.length || changes.updated.length || changes.removed.length) log.info('content changed', { ...changes });
  } catch (error) {
    // A failed sync is logged and tried again next time. Exiting would make the kubelet restart
    // the container, which fixes nothing while the source is down, and the app keeps serving
    // the last good copy meanwhile.
    log.warn('sync failed, keeping the current content', { source, error });
  }
  // The next sync is planned only after this one has finished, so two syncs never overlap.
  if (!stopping) timer = setTimeout(() => (current = sync()), config.intervalSeconds * 1000);
}

current = sync();
