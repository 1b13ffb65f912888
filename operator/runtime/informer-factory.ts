// One informer per resource type, shared by every controller in the process. Two controllers that
// both read Deployments then hold one cache and one watch connection, not two: the API server's
// load and our memory grow with the number of types, not with the number of controllers.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';
import { Informer, type InformerOptions, type ResourceType } from './informer.ts';
import { OptionalInformer } from './optional-informer.ts';

export class InformerFactory {
  readonly #client: KubeClient;
  readonly #options: InformerOptions;
  readonly #informers = new Map<string, Informer<KubernetesObject> | OptionalInformer<KubernetesObject>>();

  constructor(client: KubeClient, options: InformerOptions = {}) {
    this.#client = client;
    this.#options = options;
  }

  /** The informer for this type (and namespace), created on first use. */
  for<T extends KubernetesObject>(type: ResourceType): Informer<T> {
    const key = `${type.apiVersion}/${type.kind}/${type.namespace ?? ''}`;
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer(this.#client, type, this.#options);
      this.#informers.set(key, informer);
    }
    // The key names the kind, and the caller names T for that kind; TypeScript cannot see the link.
    return informer as unknown as Informer<T>;
  }

  /** The informer for a custom type whose CRD (named `crdName`) may come and go: see optional-informer.ts. */
  optional<T extends KubernetesObject>(type: ResourceType, crdName: string): OptionalInformer<T> {
    const key = `${type.apiVersion}/${type.kind}/${type.namespace ?? ''}`;
    let informer = this.#informers.get(key);
    if (!informer) {
      const crds = this.for({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
      informer = new OptionalInformer(this.#client, type, crdName, crds, this.#options);
      this.#informers.set(key, informer);
    }
    return informer as unknown as OptionalInformer<T>;
  }

  /** Starts every informer made so far; resolves when all of them have listed once. */
  async start(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.start()));
  }

  /** What the caches hold, for the log line that says they are filled: "1 ConfigWatcher, 3 Deployments". */
  describe(): string {
    return [...this.#informers.values()].map((i) => plural(i.list().length, i.type.kind)).join(', ');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }
}

/** "1 Deployment", "2 Deployments", "2 NetworkPolicies", "2 Ingresses". */
function plural(count: number, kind: string): string {
  if (count === 1) return `1 ${kind}`;
  return `${count} ${kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : kind.endsWith('s') ? `${kind}es` : `${kind}s`}`;
}
