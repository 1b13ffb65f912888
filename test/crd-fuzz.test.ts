// A fuzz test of every CRD the kit ships, against the real API server with the real operators
// running: the Clowder operator (ClowdEnvironment, ClowdApp, ClowdJobInvocation; ClowdAppRef is
// only read), the ConfigWatcher operator, the PostgresDatabase operator with a real PostgreSQL,
// and lesson 10's Todo notifier.
//
// For each kind it creates FUZZ_COUNT (default 200) random and mutated specs (test/fuzz-objects.ts)
// and asserts what a user may rely on:
// - every bad object is refused by the API server with a client error (4xx) and a message, or
//   accepted and then answered by its controller in status (a condition; the notifier's
//   notifiedGeneration). Only a disabled object stays silent, as the contract says;
// - no operator logs a crash (a TypeError and its kin): a bad object is a condition, not a bug;
// - a good object created after all the bad ones reconciles as usual.
// The seed is printed first; FUZZ_SEED=<seed> repeats a run object for object.
import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, loadAll } from 'js-yaml';
import { allowClowderPods, clowdApp, environment } from '../operator/clowder/testing/fixtures.ts';
import { installCrds as installClowderCrds } from '../operator/clowder/install-crds.ts';
import { clowderOperator } from '../operator/clowder/operator.ts';
import { installCrd as installConfigWatcherCrd } from '../operator/config-watcher/install-crd.ts';
import { configWatcherOperator } from '../operator/config-watcher/operator.ts';
import { apply } from '../operator/runtime/apply.ts';
import { todoNotifier } from '../patterns/10-k8s-as-backend/app/notifier.ts';
import { installCrd as installPostgresCrd } from '../patterns/11-external-resource/install-crd.ts';
import { postgresDatabaseOperator } from '../patterns/11-external-resource/operator.ts';
import { adminUrl, down, up } from '../kind/postgres/server.ts';
import { testClient, testKubeConfig, testNamespace, waitFor } from './cluster.ts';
import { Fuzz, type Json, type Schema } from './fuzz-objects.ts';

const seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
const perKind = Number(process.env.FUZZ_COUNT ?? 200);
console.error(`crd fuzz: seed ${seed}, ${perKind} objects per kind (FUZZ_SEED=${seed} repeats this run)`);
const run = `fz${seed.toString(36)}`; // in every name, so runs never meet
const label = { 'k8s-patterns.test/fuzz': run };

const kc = testKubeConfig();
const client = testClient(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;
let pgDir: string;
const lines: string[] = [];
const log = (who: string) => (line: string) => void lines.push(`[${who}] ${line}`);
const stops: (() => Promise<void>)[] = [];

type Fuzzed = KubernetesObject & { spec?: Record<string, unknown>; status?: { conditions?: unknown[]; notifiedGeneration?: number } };

interface Target {
  kind: string;
  apiVersion: string;
  crd: URL;
  namespaced: boolean;
  /** A spec that works, as the starting point of mutations. */
  base: (i: number) => Json;
  /** Whether the controller has answered this accepted object; absent: no controller writes its status. */
  answered?: (object: Fuzzed) => boolean;
}

const clowder = (file: string) => new URL(`../operator/clowder/manifests/${file}`, import.meta.url);
const hasCondition = (o: Fuzzed) => (o.status?.conditions?.length ?? 0) > 0;
const baseEnv = `${run}-base`;

const targets: Target[] = [
  {
    kind: 'ClowdEnvironment', apiVersion: 'cloud.redhat.com/v1alpha1', crd: clowder('clowdenvironment.yaml'), namespaced: false,
    base: () => environment('x', {}, { targetNamespace: ns.name }).spec as unknown as Json,
    answered: (o) => o.spec?.disabled === true || hasCondition(o),
  },
  {
    kind: 'ClowdApp', apiVersion: 'cloud.redhat.com/v1alpha1', crd: clowder('clowdapp.yaml'), namespaced: true,
    base: () => clowdApp('x', ns.name, baseEnv, [{ name: 'api', web: true }, { name: 'worker', replicas: 2 }], {
      jobs: [{ name: 'migrate', podSpec: { image: 'quay.io/example/app:1' } }], dependencies: ['other'],
    }).spec as unknown as Json,
    answered: (o) => o.spec?.disabled === true || hasCondition(o),
  },
  {
    kind: 'ClowdJobInvocation', apiVersion: 'cloud.redhat.com/v1alpha1', crd: clowder('clowdjobinvocation.yaml'), namespaced: true,
    base: () => ({ appName: 'x', jobs: ['migrate'] }),
    answered: hasCondition,
  },
  {
    kind: 'ClowdAppRef', apiVersion: 'cloud.redhat.com/v1alpha1', crd: clowder('clowdappref.yaml'), namespaced: true,
    base: () => ({ envName: baseEnv, deployments: [{ name: 'api', hostname: 'api.example.com', web: true }] }),
  },
  {
    kind: 'ConfigWatcher', apiVersion: 'k8spatterns.com/v1', crd: new URL('../operator/config-watcher/manifests/crd.yaml', import.meta.url), namespaced: true,
    base: () => ({ configMap: 'settings', podSelector: { app: 'web' } }),
    answered: hasCondition,
  },
  {
    kind: 'PostgresDatabase', apiVersion: 'k8spatterns.com/v1alpha1', crd: new URL('../patterns/11-external-resource/manifests/crd.yaml', import.meta.url), namespaced: true,
    base: (i) => ({ databaseName: `${run}_${i}` }),
    answered: hasCondition,
  },
  {
    kind: 'Todo', apiVersion: 'k8spatterns.com/v1', crd: new URL('../patterns/10-k8s-as-backend/manifests/crd.yaml', import.meta.url), namespaced: true,
    base: () => ({ title: 'buy milk', priority: 'high', due: '2030-01-01T00:00:00Z', notes: 'two litres' }),
    answered: (o) => o.status?.notifiedGeneration === o.metadata?.generation,
  },
];

beforeAll(async () => {
  await installClowderCrds(client);
  await installConfigWatcherCrd(client);
  await installPostgresCrd(client);
  // The Todo CRD and lesson 10's admission policy, as the lesson applies them.
  for (const file of ['crd.yaml', 'policy.yaml']) {
    const text = await readFile(new URL(`../patterns/10-k8s-as-backend/manifests/${file}`, import.meta.url), 'utf8');
    for (const document of loadAll(text)) await apply(client, document as KubernetesObject, 'crd-fuzz-test');
  }
  ns = await testNamespace(kc, 'crd-fuzz');
  await allowClowderPods(kc, ns.name);
  await kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'settings' }, data: { v: '1' } } });
  pgDir = await mkdtemp(join(tmpdir(), 'k8s-patterns-fuzz-pg-'));
  const pg = await up(pgDir);

  const operators = [
    clowderOperator({ client, informerBackoffMs: 100, log: log('clowder') }).manager,
    configWatcherOperator({ client, namespace: ns.name, log: log('config-watcher') }).manager,
    postgresDatabaseOperator({ client, postgresUrl: adminUrl(pg), namespace: ns.name, log: log('postgres-database') }).manager,
  ];
  for (const operator of operators) {
    await operator.start();
    await operator.leading;
    stops.push(() => operator.stop());
  }
  const notifier = todoNotifier({ client, namespace: ns.name, notify: () => {}, log: log('notifier') });
  await notifier.start();
  stops.push(() => notifier.stop());
  await create(targets[0], `${run}-base`, targets[0].base(0)); // the env the mutated apps name
});

afterAll(async () => {
  // Delete while the operators still run: they remove their finalizers (and the databases).
  try {
    if (ns) await removeFuzzed();
  } finally {
    for (const stop of stops.reverse()) await stop();
    await ns?.remove();
    if (pgDir) await down(pgDir);
  }
}, 240_000);

/** Deletes every object this run created, and waits until their finalizers have let go. */
async function removeFuzzed(): Promise<void> {
  const fuzzed = (target: Target) =>
    client.list<Fuzzed>(target.apiVersion, target.kind, target.namespaced ? ns.name : undefined, labelSelector()).then((l) => l.items);
  for (const target of targets) {
    await pool(await fuzzed(target), 8, (o) => client.delete({ ...o, apiVersion: target.apiVersion, kind: target.kind }).then(() => {}, () => {}));
  }
  await waitFor('the fuzzed objects to be gone', async () => {
    for (const target of targets) if ((await fuzzed(target)).length) return undefined;
    return true;
  }, 120_000);
}

const labelSelector = () => Object.entries(label).map(([k, v]) => `${k}=${v}`).join(',');

/** Creates one object; resolves to its API answer: the code of a refusal and its message, or the stored object. */
async function create(target: Target, name: string, spec: Json | undefined): Promise<{ code?: number; message?: string; stored?: Fuzzed }> {
  const body = {
    apiVersion: target.apiVersion,
    kind: target.kind,
    metadata: { name, labels: label, ...(target.namespaced ? { namespace: ns.name } : {}) },
    ...(spec === undefined ? {} : { spec }),
  };
  return client.create<KubernetesObject>(body).then(
    (stored) => ({ stored: stored as Fuzzed }),
    (e: { code?: number; body?: unknown }) => ({ code: e.code, message: messageOf(e.body) }),
  );
}

function messageOf(body: unknown): string | undefined {
  try {
    return (typeof body === 'string' ? JSON.parse(body) : (body as { message?: string }))?.message;
  } catch {
    return String(body);
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** A condition that says the object cannot be made to work as it stands (or not yet). */
function failing(o: Fuzzed): boolean {
  const conditions = (o.status?.conditions ?? []) as { type: string; status: string }[];
  return conditions.some((c) => (c.type === 'ReconciliationFailed' && c.status === 'True') || (c.type === 'Ready' && c.status === 'False') || (c.type === 'JobInvocationComplete' && c.status === 'False'));
}

function specSchema(crdText: string): Schema {
  const crd = load(crdText) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  return crd.spec.versions[0].schema.openAPIV3Schema.properties!.spec;
}

describe(`every CRD the kit ships, fuzzed (seed ${seed})`, () => {
  const summary: Record<string, { tried: number; rejected: number; failed: number; answered: number; silent: number }> = {};

  it.each(targets.map((t, i) => [t.kind, t, i] as const))('%s: each bad object is refused or answered in status', async (_kind, target, index) => {
    const schema = specSchema(await readFile(target.crd, 'utf8'));
    // A generator per kind, and all specs first: a seed gives the same objects whatever the timing,
    // also when only one kind runs (vitest -t ClowdApp).
    const fuzz = new Fuzz(seed + index);
    const specs = Array.from({ length: perKind }, (_, i) => {
      if (fuzz.chance(0.03)) return undefined; // no spec at all
      return fuzz.chance(0.5) ? fuzz.fromSchema(schema) : fuzz.mutate(target.base(i));
    });
    const answers: Awaited<ReturnType<typeof create>>[] = [];
    await pool(specs.map((spec, i) => ({ spec, i })), 8, async ({ spec, i }) => {
      answers[i] = await create(target, `${run}-${target.kind.toLowerCase()}-${i}`, spec);
    });

    const refused = answers.filter((a) => !a.stored);
    // A refusal is the client's to fix: 4xx and a message, never a 5xx.
    expect(refused.filter((a) => !(a.code! >= 400 && a.code! < 500 && a.message)).map((a) => `${a.code} ${a.message}`)).toEqual([]);
    const accepted = answers.flatMap((a) => (a.stored ? [a.stored] : []));
    summary[target.kind] = { tried: perKind, rejected: refused.length, failed: 0, answered: 0, silent: 0 };

    if (target.answered) {
      const read = (o: Fuzzed) => client.read<Fuzzed>(target.apiVersion, target.kind, o.metadata!.name!, o.metadata!.namespace);
      const current = await waitFor(`every accepted ${target.kind} to be answered in status`, async () => {
        const current = await Promise.all(accepted.map(read));
        return current.every(target.answered!) ? current : undefined;
      }, 120_000).catch(async (error: Error) => {
        const silent = (await Promise.all(accepted.map(read))).filter((o) => !target.answered!(o));
        throw new Error(`${error.message}; unanswered: ${silent.map((o) => `${o.metadata!.name} ${JSON.stringify(o.spec)}`).join('; ')}`);
      });
      summary[target.kind].answered = current.length;
      summary[target.kind].failed = current.filter(failing).length;
    } else {
      summary[target.kind].silent = accepted.length; // nothing writes its status; apps read it
    }
    expect(lines.filter((l) => /TypeError|ReferenceError|RangeError|Cannot read properties|is not a function|is not iterable/.test(l))).toEqual([]);
    const { failed } = summary[target.kind];
    console.error(`crd fuzz ${target.kind}: ${perKind} tried, ${refused.length} refused by the API server, ${accepted.length} accepted` +
      (target.answered ? `, each answered in status (${failed} with a failure condition)` : ', not reconciled by any controller'));
  });

  it('good objects created after all the bad ones reconcile as usual', async () => {
    const good = {
      env: await create(targets[0], `${run}-good`, environment('x').spec as unknown as Json),
      app: await create(targets[1], `${run}-good`, clowdApp('x', ns.name, `${run}-good`, [{ name: 'api', web: true }]).spec as unknown as Json),
      watcher: await create(targets[4], `${run}-good`, { configMap: 'settings', podSelector: { app: 'good' } }),
      database: await create(targets[5], `${run}-good`, { databaseName: `${run}_good` }),
      todo: await create(targets[6], `${run}-good`, { title: 'a good one' }),
    };
    for (const [what, answer] of Object.entries(good)) expect(answer.message, what).toBeUndefined();
    const read = (target: Target) => client.read<Fuzzed>(target.apiVersion, target.kind, `${run}-good`, target.namespaced ? ns.name : undefined);
    const condition = (o: Fuzzed, type: string) => (o.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === type)?.status;
    const until = (what: string, target: Target, ok: (o: Fuzzed) => boolean) => waitFor(what, async () => (ok(await read(target)) ? true : undefined));
    await until('the good environment to reconcile', targets[0], (o) => condition(o, 'ReconciliationSuccessful') === 'True');
    await until('the good app to reconcile', targets[1], (o) => condition(o, 'ReconciliationSuccessful') === 'True');
    await until('the good ConfigWatcher to be ready', targets[4], (o) => condition(o, 'Ready') === 'True');
    await until('the good PostgresDatabase to be ready', targets[5], (o) => condition(o, 'Ready') === 'True');
    await until('the notifier to answer the good Todo', targets[6], (o) => o.status?.notifiedGeneration === 1);
    console.error(`crd fuzz summary (seed ${seed}): ${JSON.stringify(summary)}`);
  });
});

