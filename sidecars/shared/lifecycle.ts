// How every program starts and stops.
import type { Logger } from './log.ts';

/**
 * Loads the configuration or ends the process with exit code 1.
 * A non-zero exit is what Kubernetes acts on: the pod shows Error / CrashLoopBackOff, and an init
 * container that fails keeps the app container from starting with a half-done setup.
 */
export function configOrExit<C>(log: Logger, load: () => C): C {
  try {
    return load();
  } catch (error) {
    // Usually a ConfigError that names the variable; anything else (say, no permission to look at
    // a directory) is reported the same way: as a log line, not a stack trace on stderr.
    log.error(`invalid configuration: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** Logs why the program cannot go on and exits non-zero (a port in use, an unreadable directory …). */
export function exitWithError(log: Logger, msg: string, error: unknown): never {
  log.error(msg, { error });
  process.exit(1);
}

/**
 * Runs stop() on SIGTERM (what the kubelet sends when a pod is deleted or rolled) or SIGINT
 * (Ctrl-C), then exits 0.
 * This matters more in a container than on a laptop: there our program is PID 1, and the kernel
 * gives PID 1 no default action for SIGTERM. Without a handler the signal is ignored, the pod sits
 * in Terminating for the whole grace period (30 s by default) and is then killed with SIGKILL.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal while we are already stopping must not start a second shutdown.
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => exitWithError(log, 'shutdown failed', error),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
