// One Clowder operator on the test control plane for a whole test file: the CRDs, a namespace
// whose pods may run as Clowder writes them, what the file sets up before the operator starts,
// and, at the end, the cleanup in the order finalizers need: apps and envs go while the operator
// still runs to release them, then the operator stops, then the namespaces go.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { testClient, testKubeConfig, testNamespace, waitFor } from '../../../test/cluster.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { ClowdEnvironment } from '../api.ts';
import { installCrds } from '../install-crds.ts';
import { clowderOperator, type ClowderOptions } from '../operator.ts';
import { allowClowderPods, clowdClient } from './fixtures.ts';

type TestNamespace = Awaited<ReturnType<typeof testNamespace>>;

export interface ClowderTest {
  readonly kc: KubeConfig;
  /** The operators' client, on the same cluster. */
  readonly client: KubeClient;
  readonly clowd: ReturnType<typeof clowdClient>;
  /** The file's own namespace, where its apps live. */
  readonly ns: TestNamespace;
  readonly operator: ReturnType<typeof clowderOperator>;
  /** What the operator logged. */
  readonly lines: string[];
  /** Creates an environment that the cleanup deletes. */
  createEnv(env: ClowdEnvironment): Promise<void>;
  /** Creates a Secret in the file's namespace from plain-text values: what someone else provisioned. */
  secret(name: string, data: Record<string, string>, annotations?: Record<string, string>): Promise<void>;
  /** Another namespace for Clowder's pods, removed at the end. */
  namespace(prefix: string): Promise<TestNamespace>;
}

interface Options {
  /** Where the namespaces' pods go: kwok's fake nodes (the default), or the real node. */
  pods?: 'fake' | 'real';
  /** Runs before the operator starts: Secrets, environments and whatever else it should find. */
  setup?: (test: ClowderTest) => Promise<void>;
  operator?: Partial<ClowderOptions>;
}

export function clowderTest(prefix: string, options: Options = {}): ClowderTest {
  const kc = testKubeConfig();
  const client = testClient(kc);
  const clowd = clowdClient(kc);
  const namespaces: TestNamespace[] = [];
  const envs: string[] = [];
  const lines: string[] = [];
  let operator: ClowderTest['operator'] | undefined;

  const test: ClowderTest = {
    kc,
    client,
    clowd,
    lines,
    get ns() {
      return namespaces[0];
    },
    get operator() {
      if (!operator) throw new Error('the operator starts in beforeAll');
      return operator;
    },
    async createEnv(env) {
      await clowd.createEnv(env);
      envs.push(env.metadata!.name!);
    },
    async secret(name, data, annotations) {
      const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
      await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: namespaces[0].name, body: { metadata: { name, annotations }, data: encoded } });
    },
    async namespace(name) {
      const ns = await testNamespace(kc, name, { pods: options.pods });
      namespaces.push(ns);
      await allowClowderPods(kc, ns.name);
      return ns;
    },
  };

  beforeAll(async () => {
    await installCrds(client);
    await test.namespace(prefix);
    await options.setup?.(test);
    operator = clowderOperator({ client, informerBackoffMs: 50, log: (line) => lines.push(line), ...options.operator });
    await operator.manager.start();
    await operator.manager.leading;
  });

  afterAll(async () => {
    if (operator) {
      const running = operator;
      const ours = () => namespaces.flatMap((ns) => running.caches.apps.list(ns.name));
      for (const app of ours()) await clowd.deleteApp(app.metadata!.namespace!, app.metadata!.name!);
      for (const env of envs) await clowd.deleteEnv(env);
      await waitFor('the envs and apps to be gone', async () => (envs.some((e) => running.caches.envs.get(e)) || ours().length ? undefined : true));
      await running.manager.stop();
    }
    for (const ns of namespaces.reverse()) await ns.remove();
  });

  return test;
}
