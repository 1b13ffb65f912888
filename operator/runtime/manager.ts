// The manager runs everything an operator process needs, in an order that matters:
//
// start: health server → caches → (wait to lead) → controllers
//   Standbys fill their caches too, so a takeover starts reconciling at once instead of listing
//   the world first. Controllers start only once we lead: two replicas must never both act.
//
// stop: controllers (stop taking work, drain) → release the lease → caches → health server
//   The lease is released only after the last reconcile finished, so the next leader never
//   overlaps with us; releasing it (rather than letting it expire) lets it take over at once.
import type { Controller } from './controller.ts';
import { startHealthServer, type HealthServer } from './health-server.ts';
import type { InformerFactory } from './informer-factory.ts';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import type { KubeClient } from './kube-client.ts';
import type { Metrics } from './metrics.ts';

export interface ManagerOptions {
  client: KubeClient;
  informers: InformerFactory;
  controllers: Controller[];
  metrics: Metrics;
  /** Without it, this process acts as soon as its caches are filled (fine for one replica). */
  leaderElection?: LeaderElectionOptions;
  health?: { port?: number; host?: string };
  /** Called when leadership is lost while running: the process should exit and start afresh. */
  onLostLeadership?: () => void;
  log?: (line: string) => void;
}

export class Manager {
  readonly #options: ManagerOptions;
  readonly #elector?: LeaderElector;
  #server?: HealthServer;
  #synced = false;
  #running = false;
  /** Settles once we lead and the controllers run, or once stop() ends the wait. */
  leading: Promise<boolean> = Promise.resolve(false);

  constructor(options: ManagerOptions) {
    this.#options = options;
    if (options.leaderElection) this.#elector = new LeaderElector(options.client, { log: options.log, ...options.leaderElection });
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  get isLeader(): boolean {
    return this.#running;
  }

  /** Resolves when the caches are filled; leading (and running the controllers) follows in the background. */
  async start(): Promise<void> {
    this.#server = await startHealthServer({ metrics: this.#options.metrics, ready: () => this.#synced, ...this.#options.health });
    await this.#options.informers.start();
    this.#synced = true;
    // The first line a user waits for: from here on the operator sees the cluster as it is.
    this.#options.log?.(`caches synced: ${this.#options.informers.describe()}`);
    this.leading = this.#lead();
  }

  async #lead(): Promise<boolean> {
    if (this.#elector) {
      const onLost = () => {
        void this.#stopControllers();
        this.#options.onLostLeadership?.();
      };
      if (!(await this.#elector.acquire(onLost))) return false;
    }
    this.#running = true;
    await Promise.all(this.#options.controllers.map((c) => c.run()));
    return true;
  }

  async #stopControllers(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.#options.controllers.map((c) => c.stop()));
  }

  async stop(): Promise<void> {
    await this.#stopControllers();
    await this.#elector?.release();
    await this.leading;
    await this.#stopControllers(); // in case we came to lead while releasing
    await this.#options.informers.stop();
    await this.#server?.close();
  }
}
