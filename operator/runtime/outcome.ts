// What one reconcile pass did, said in one line of the operator's log. An operator that acts
// without saying so leaves its user guessing whether it saw a change at all; one that logs every
// resync buries the few lines that matter. So a pass collects what it created, updated and
// deleted as it goes, and the controller prints that as one line per key:
//
//   ConfigWatcher operator/web-watcher: updated Deployment web (restarted for ConfigMap web-config), status (Ready)
//   ClowdApp clowdapp/inventory: unchanged
//   ClowdApp clowdapp/inventory: failed: clowd env not ready
//
// Only what really changed counts: an apply the API server answered with the same
// resourceVersion changed nothing and is not reported.
import type { KubernetesObject } from '@kubernetes/client-node';

export type Change = 'created' | 'updated' | 'deleted';

export class Outcome {
  readonly #changes: Record<Change, string[]> = { created: [], updated: [], deleted: [] };
  #failed?: string;

  /**
   * Notes a change: to an object (named "Kind name"), or to something of the primary object
   * itself ("finalizer", "status (Ready)"). An undefined change (a write that changed nothing) is ignored.
   */
  add(change: Change | undefined, what: KubernetesObject | string, why?: string): this {
    if (!change) return this;
    const name = typeof what === 'string' ? what : `${what.kind} ${what.metadata?.name}`;
    this.#changes[change].push(why ? `${name} (${why})` : name);
    return this;
  }

  /**
   * The pass could not do its job and waits for an event rather than retrying (a ConfigMap that
   * does not exist yet). A pass that throws is reported by the controller, with its attempt.
   */
  fail(why: string): this {
    this.#failed = why;
    return this;
  }

  /** Whether anything was written: a pass that wrote nothing is logged only once in a row. */
  get changed(): boolean {
    return Object.values(this.#changes).some((list) => list.length > 0);
  }

  toString(): string {
    if (this.#failed) return `failed: ${this.#failed}`;
    const parts = (Object.keys(this.#changes) as Change[])
      .filter((change) => this.#changes[change].length)
      .map((change) => `${change} ${this.#changes[change].join(', ')}`);
    return parts.join('; ') || 'unchanged';
  }
}
