// An informer for a custom resource type that the cluster may not serve yet, or may stop
// serving. A plain informer for such a type would fail its LIST until the CRD appears, never
// sync, and keep the controllers waiting for it from ever starting. This one follows the type's
// CustomResourceDefinition instead:
// - once the CRD is established, it starts an informer of the type, whose first list announces
//   every existing object, so subscribers hear about them like about any other change;
// - when the CRD is deleted (the API server deletes every object of the type with it), it stops
//   that informer and announces each object it held as deleted.
// Until then it is an empty cache, and it counts as synced: there is nothing to list.
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';
import { Informer, type Handler, type InformerOptions, type ResourceType } from './informer.ts';

/** What this needs from the informer of CustomResourceDefinitions. */
interface CrdSource {
  subscribe(handler: Handler<KubernetesObject>): void;
  get(name: string): KubernetesObject | undefined;
}

export class OptionalInformer<T extends KubernetesObject> {
  readonly type: ResourceType;
  readonly #crdName: string;
  readonly #crds: CrdSource;
  readonly #make: () => Informer<T>;
  readonly #handlers: Handler<T>[] = [];
  #inner?: Informer<T>;
  #started = false;

  constructor(client: KubeClient, type: ResourceType, crdName: string, crds: CrdSource, options: InformerOptions = {}) {
    this.type = type;
    this.#crdName = crdName;
    this.#crds = crds;
    this.#make = () => new Informer<T>(client, type, options);
    crds.subscribe((event, crd) => {
      if (crd.metadata?.name !== crdName || !this.#started) return;
      if (event === 'delete') this.#forget();
      else if (established(crd)) this.#follow();
    });
  }

  /** Whether the cluster serves the type (its CRD is established) and we follow it. */
  get served(): boolean {
    return this.#inner !== undefined;
  }

  subscribe(handler: Handler<T>): void {
    this.#handlers.push(handler);
    this.#inner?.subscribe(handler);
  }

  get(key: string): T | undefined {
    return this.#inner?.get(key);
  }

  list(namespace?: string): T[] {
    return this.#inner?.list(namespace) ?? [];
  }

  /**
   * Follows the type from now on. Resolves at once: the CRD may never come, and when it does,
   * the informer fills on its own and announces what it finds.
   */
  start(): Promise<void> {
    this.#started = true;
    const crd = this.#crds.get(this.#crdName);
    if (crd && established(crd)) this.#follow();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#started = false;
    const inner = this.#inner;
    this.#inner = undefined;
    await inner?.stop();
  }

  #follow(): void {
    if (this.#inner) return;
    const inner = this.#make();
    for (const handler of this.#handlers) inner.subscribe(handler);
    this.#inner = inner;
    void inner.start();
  }

  #forget(): void {
    const inner = this.#inner;
    if (!inner) return;
    this.#inner = undefined;
    void inner.stop();
    for (const object of inner.list()) for (const handler of this.#handlers) handler('delete', object);
  }
}

function established(crd: KubernetesObject): boolean {
  return Boolean((crd as V1CustomResourceDefinition).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
}
