// Leader election lets us run two replicas of an operator (so a crash or a node drain does not
// stop it) while only one of them acts: two controllers restarting the same pods would fight.
//
// The lock is a coordination.k8s.io/v1 Lease: holderIdentity says who leads, renewTime when the
// leader last proved it is alive. The leader renews every few seconds; a candidate takes over
// once the lease has not been renewed for leaseDurationSeconds. Every write carries the
// resourceVersion we read, so if two candidates try at once, the API server accepts one and
// answers 409 Conflict to the other: etcd's compare-and-swap does the hard part.
//
// Like client-go, we judge expiry by our own clock: "the record has not changed for
// leaseDuration since I first saw it", not by comparing renewTime with our time. That way two
// machines whose clocks disagree still agree on when a lease has expired.
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiError, describeApiError } from './api-error.ts';
import type { KubeClient } from './kube-client.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The leader gives up after failing to renew for this fraction of the lease duration (client-go:
 * 10 s of 15 s; here 4 s of 6 s by default). Giving up before the lease expires leaves a margin
 * in which nobody leads, rather than a moment in which two replicas both believe they do.
 */
const RENEW_DEADLINE = 2 / 3;

const LEASE_API = 'coordination.k8s.io/v1';

/** A Lease as the API server sends it: its times are MicroTime strings. */
interface Lease extends KubernetesObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** Now, as a MicroTime: RFC 3339 with exactly six fractional digits, which the API server requires. */
function microTime(): string {
  return new Date().toISOString().replace('Z', '000Z');
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Who we are: unique per replica, such as the pod name. */
  identity: string;
  /**
   * How long a silent leader keeps the lease: after a crash, nobody leads for this long plus up
   * to two retries. 6 s (client-go: 15 s) keeps a failover under 10 s; raise it where the API
   * server may be slow to answer for seconds, since the leader gives up after 2/3 of it.
   */
  leaseDurationSeconds?: number;
  /** How often the leader renews, and a candidate retries. Well below the lease duration. */
  retryMs?: number;
  log?: (line: string) => void;
}

export class LeaderElector {
  readonly #client: KubeClient;
  readonly #options: Required<LeaderElectionOptions>;
  /** The last lease record we saw, and when (by our clock) it last changed. */
  #observed?: { record: string; at: number };
  /** The holder in the last lease we read. */
  #holder?: string;
  #leading = false;
  #renewing?: Promise<void>;
  #stop = new AbortController();

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.#client = client;
    const { leaseDurationSeconds = 6, retryMs = 1000, log = () => {} } = options; // undefined, too, means the default
    this.#options = { ...options, leaseDurationSeconds, retryMs, log };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Resolves true once we lead, then keeps renewing in the background; resolves false if
   * release() is called first. onLost is called if renewals fail for most of a lease duration:
   * someone else may lead soon, so the caller must stop acting at once.
   */
  async acquire(onLost: () => void): Promise<boolean> {
    const { retryMs, identity, name } = this.#options;
    while (!(await this.#tryAcquireOrRenew())) {
      const stopped = await sleep(retryMs, false, { signal: this.#stop.signal }).catch(() => true);
      if (stopped) return false;
    }
    this.#leading = true;
    this.#options.log(`${identity} leads ${name}`);
    this.#renewing = this.#renewLoop(onLost);
    return true;
  }

  async #renewLoop(onLost: () => void): Promise<void> {
    const { retryMs, leaseDurationSeconds } = this.#options;
    let lastRenewal = Date.now();
    while (this.#leading) {
      try {
        await sleep(retryMs, undefined, { signal: this.#stop.signal });
      } catch {
        return; // release() stopped us
      }
      if (await this.#tryAcquireOrRenew()) {
        lastRenewal = Date.now();
      } else if (this.#holder !== this.#options.identity || Date.now() - lastRenewal > leaseDurationSeconds * 1000 * RENEW_DEADLINE) {
        // Someone else holds it now, or we could not renew in time: either way, we no longer lead.
        this.#leading = false;
        this.#options.log(`${this.#options.identity} lost ${this.#options.name}`);
        onLost();
      }
    }
  }

  /** One attempt: create the lease, renew ours, or take over an expired one. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.#options;
    const now = microTime();
    try {
      let lease: Lease;
      try {
        lease = await this.#client.read<Lease>(LEASE_API, 'Lease', name, namespace);
      } catch (error) {
        if (apiError(error).code !== 404) throw error;
        this.#holder = identity;
        await this.#client.create<Lease>({
          apiVersion: LEASE_API,
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        return true;
      }
      const spec = lease.spec ?? {};
      this.#holder = spec.holderIdentity;
      const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
      if (this.#observed?.record !== record) this.#observed = { record, at: Date.now() };
      const held = spec.holderIdentity && spec.holderIdentity !== identity;
      const expired = Date.now() > this.#observed.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (held && !expired) return false;

      const takingOver = spec.holderIdentity !== identity;
      // The resourceVersion we read comes along: if anyone wrote in between, this fails with 409.
      await this.#client.replace<Lease>({
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: now,
          acquireTime: takingOver ? now : spec.acquireTime,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && spec.holderIdentity ? 1 : 0),
        },
      });
      return true;
    } catch (error) {
      // 409: another candidate wrote first. Anything else (server down): we cannot tell, so not now.
      if (apiError(error).code !== 409) this.#options.log(`lease ${name}: ${describeApiError(error)}`);
      return false;
    }
  }

  /**
   * Stops renewing and, if we lead, empties holderIdentity so a standby takes over at once
   * instead of waiting out the lease. Call it last in a graceful shutdown, after the work drained.
   */
  async release(): Promise<void> {
    this.#stop.abort();
    await this.#renewing;
    if (!this.#leading) return;
    this.#leading = false;
    const { namespace, name, identity } = this.#options;
    try {
      const lease = await this.#client.read<Lease>(LEASE_API, 'Lease', name, namespace);
      if (lease.spec?.holderIdentity !== identity) return;
      await this.#client.replace<Lease>({ ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime() } });
    } catch (error) {
      this.#options.log(`could not release lease ${name}: ${(error as Error).message}`); // it expires anyway
    }
  }
}
