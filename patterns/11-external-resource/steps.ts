// Lesson 11, external resource: an operator whose world is partly outside Kubernetes. A
// PostgresDatabase object asks for a database and a login on a real PostgreSQL server; the
// operator makes the server match, repairs it when someone changes it by hand, cleans up when the
// object goes, and copes with the server being down. Every step below is what lesson.md shows
// under the same heading.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pg from 'pg';
import { adminUrl, defaultDir, readState, runningPid, stop, up, type PostgresState } from '../../scripts/postgres/server.ts';
import { outputMatches } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';
import { GROUP, PLURAL, VERSION, type PostgresDatabase } from './postgres-database.ts';
import { preparePostgresDatabaseOperator } from './run-operator.ts';

const ns = 'external-resource';
const dir = 'patterns/11-external-resource';
const manifests = `${dir}/manifests`;
/** The operator's /readyz when the attendee started it with the step's command. */
const OPERATOR_PORT = 8090;
/** The URL of an operator this process started, per lesson run. */
const operatorUrls = new WeakMap<LessonContext, string>();

async function server(): Promise<PostgresState> {
  const state = await readState(defaultDir());
  if (!state || !(await runningPid(state))) {
    throw new StepFailed('the PostgreSQL server of `npm run postgres` is not running', 'npm run postgres -- status');
  }
  return state;
}

/** One statement as the admin user, on its own connection. */
async function adminQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl(await server(), database) });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** How many databases and roles named `name` the server has. */
async function onServer(name: string): Promise<string> {
  const [row] = await adminQuery<{ databases: number; roles: number }>(
    'select (select count(*)::int from pg_database where datname = $1) as databases, (select count(*)::int from pg_roles where rolname = $1) as roles', [name]);
  return `${row.databases} database, ${row.roles} role`;
}

function readShop(ctx: LessonContext): Promise<PostgresDatabase | undefined> {
  return ctx.kc.makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns, name: 'shop' })
    .then((o) => o as PostgresDatabase, () => undefined);
}

/** Waits until shop's Ready condition has this reason; returns its message. */
async function shopReports(ctx: LessonContext, reason: string, timeoutMs = 60_000): Promise<string> {
  let seen = 'no PostgresDatabase shop';
  return waitFor(async () => {
    const ready = (await readShop(ctx))?.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready) seen = `${ready.status} ${ready.reason}: ${ready.message}`;
    return ready?.reason === reason ? ready.message : undefined;
  }, () => new StepFailed(`expected shop's Ready condition to have reason ${reason}, it is ${seen}`,
    `kubectl get postgresdatabase shop -n ${ns} -o yaml; kubectl get events -n ${ns}`), timeoutMs);
}

/** Logs in with the url from the Secret, as an application would. */
async function loginWithSecret(ctx: LessonContext): Promise<void> {
  const secret = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'shop-postgres', namespace: ns }).catch(() => undefined);
  if (!secret?.data?.url) throw new StepFailed('Secret shop-postgres with a url key not found', `kubectl get secret shop-postgres -n ${ns} -o yaml`);
  const client = new pg.Client({ connectionString: Buffer.from(secret.data.url, 'base64').toString() });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new StepFailed(`logging in with Secret shop-postgres failed: ${(error as Error).message}`, `kubectl get secret shop-postgres -n ${ns} -o jsonpath='{.data.url}' | base64 -d`);
  } finally {
    await client.end().catch(() => {});
  }
}

const lesson: Lesson = {
  id: ns,
  number: 11,
  title: 'External Resource',
  goal: 'Manage a database on a PostgreSQL server outside the cluster with an operator: create, repair drift, clean up with a finalizer, and survive the server being down.',
  dir,
  steps: [
    namespaceStep(ns),
    {
      id: 'start-postgres',
      title: 'Start PostgreSQL outside the cluster',
      commands: ['npm run postgres -- up'],
      needs: 'any',
      // Kept running for the rest of the lesson and stopped at its end, but only if this run
      // started it: a server the attendee started before stays up.
      async run(ctx) {
        await ctx.keepRunning('postgres', async () => {
          const before = await readState(defaultDir());
          const wasRunning = before !== undefined && (await runningPid(before)) !== undefined;
          const state = await up(defaultDir());
          return async () => {
            if (!wasRunning) await stop(state);
          };
        });
      },
      async verify() {
        const [row] = await adminQuery<{ version: string }>('select version()');
        if (!row.version.startsWith('PostgreSQL')) throw new StepFailed(`unexpected answer: ${row.version}`, 'npm run postgres -- status');
      },
      expected: 'POSTGRES_URL=postgresql://workshop:…@127.0.0.1:<port>/postgres',
      hint: 'The server binaries come from your distribution (Debian/Ubuntu: postgresql-15, macOS: brew install postgresql).',
      solution: 'npm run postgres -- up',
    },
    {
      id: 'crd',
      title: 'Install the PostgresDatabase CRD',
      commands: [
        `kubectl apply -f ${manifests}/crd.yaml`,
        'kubectl wait --for=condition=Established crd/postgresdatabases.k8spatterns.com --timeout=60s',
      ],
      needs: 'any',
      async verify(ctx) {
        await outputMatches(ctx, 'kubectl get crd postgresdatabases.k8spatterns.com -o jsonpath=\'{.status.conditions[?(@.type=="Established")].status}\'', /^True$/);
      },
      expected: 'customresourcedefinition.apiextensions.k8s.io/postgresdatabases.k8spatterns.com created, then condition met',
      hint: 'A CRD is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${manifests}/crd.yaml`,
    },
    {
      id: 'operator',
      title: 'Start the operator',
      commands: [`npm run operator -- postgres-database --namespace ${ns} --port ${OPERATOR_PORT}`],
      needs: 'any',
      async run(ctx) {
        await ctx.keepRunning('postgres-database operator', async () => {
          const operator = await preparePostgresDatabaseOperator({ kubeConfig: ctx.kc, namespace: ns, port: 0, log: () => {} });
          await operator.manager.start();
          operatorUrls.set(ctx, operator.manager.url!);
          return () => operator.manager.stop();
        });
      },
      async verify(ctx) {
        const url = operatorUrls.get(ctx) ?? `http://127.0.0.1:${OPERATOR_PORT}`;
        const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
        if (status !== 200) throw new StepFailed(`the operator's ${url}/readyz answered ${status || 'nothing'}`, 'the terminal where you started the operator');
      },
      expected: 'postgres-database: running; metrics and health on http://127.0.0.1:8090 (Ctrl-C stops)',
      hint: 'Leave it running in its own terminal; the next steps need it.',
      solution: `npm run operator -- postgres-database --namespace ${ns} --port ${OPERATOR_PORT}`,
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
        await shopReports(ctx, 'Provisioned');
        const found = await onServer('shop');
        if (found !== '1 database, 1 role') throw new StepFailed(`the server has ${found} named shop`, "npm run postgres -- psql -c '\\l' -c '\\du'");
        await loginWithSecret(ctx);
      },
      expected: 'postgresdatabase.k8spatterns.com/shop condition met, and a postgresql://shop:…@127.0.0.1:<port>/shop URL',
      hint: 'If it says ServerUnreachable, is the server from step 2 still running?',
      solution: `kubectl apply -n ${ns} -f ${manifests}/database.yaml`,
    },
    {
      id: 'drift',
      title: 'Drop the role behind the operator\'s back',
      commands: [
        "npm run postgres -- psql shop -c 'DROP OWNED BY shop; DROP ROLE shop'",
        `kubectl get events -n ${ns} --field-selector reason=DriftRepaired -w`,
      ],
      needs: 'any',
      async run() {
        // The same statements as the command. Sent together they form one transaction, so the
        // operator cannot slip a GRANT in between (which would make the DROP ROLE fail).
        await adminQuery('drop owned by shop; drop role shop', [], 'shop');
      },
      async verify(ctx) {
        let found = '';
        await waitFor(async () => ((found = await onServer('shop')) === '1 database, 1 role' ? true : undefined),
          () => new StepFailed(`after a poll interval the server still has ${found} named shop`, `kubectl get events -n ${ns}`), 60_000);
        await loginWithSecret(ctx);
      },
      expected: 'within about 10 s, a Warning DriftRepaired event: role shop had disappeared; recreated — and the Secret\'s login works again',
      hint: 'Nothing tells the operator about changes inside PostgreSQL; it finds them when it polls.',
      solution: "npm run postgres -- psql shop -c 'DROP OWNED BY shop; DROP ROLE shop'",
    },
    {
      id: 'server-down',
      title: 'Stop the server',
      commands: ['npm run postgres -- stop', `kubectl get postgresdatabase shop -n ${ns} -w`],
      needs: 'any',
      async run() {
        await stop(await server());
      },
      async verify(ctx) {
        const message = await shopReports(ctx, 'ServerUnreachable');
        if (!message.includes('retrying with backoff')) throw new StepFailed(`unexpected message: ${message}`, `kubectl describe postgresdatabase shop -n ${ns}`);
        const url = operatorUrls.get(ctx) ?? `http://127.0.0.1:${OPERATOR_PORT}`;
        if ((await fetch(`${url}/healthz`).then((r) => r.status, () => 0)) !== 200) {
          throw new StepFailed('the operator no longer answers /healthz: it should keep running while the server is down', 'the operator\'s terminal');
        }
      },
      expected: 'READY False, REASON ServerUnreachable; the operator logs failed attempts further and further apart, and keeps running',
      hint: 'The condition changes at the next poll, within about 10 s.',
      solution: 'npm run postgres -- stop',
    },
    {
      id: 'server-back',
      title: 'Start it again',
      commands: ['npm run postgres -- up', `kubectl wait -n ${ns} postgresdatabase/shop --for=condition=Ready --timeout=60s`],
      needs: 'any',
      async run() {
        await up(defaultDir());
      },
      async verify(ctx) {
        await shopReports(ctx, 'Provisioned');
        const found = await onServer('shop');
        if (found !== '1 database, 1 role') throw new StepFailed(`the server has ${found} named shop`, "npm run postgres -- psql -c '\\l' -c '\\du'");
        await loginWithSecret(ctx);
      },
      expected: 'condition met within the longest backoff (10 s), with still exactly one database and one role named shop',
      hint: 'The operator retries on its own; you do nothing but wait.',
      solution: 'npm run postgres -- up',
    },
    {
      id: 'delete',
      title: 'Delete the PostgresDatabase',
      commands: [`kubectl delete postgresdatabase shop -n ${ns}`, "npm run postgres -- psql -c '\\l'"],
      needs: 'any',
      // The attendee's delete waits until the finalizer is gone; here verify does the waiting,
      // so that a stuck finalizer fails with the object's state rather than a command timeout.
      async run(ctx) {
        await ctx.sh(`kubectl delete postgresdatabase shop -n ${ns} --wait=false`);
      },
      async verify(ctx) {
        await waitFor(async () => ((await readShop(ctx)) ? undefined : true),
          () => new StepFailed('PostgresDatabase shop is still there', `kubectl get postgresdatabase shop -n ${ns} -o yaml`));
        const found = await onServer('shop');
        if (found !== '0 database, 0 role') throw new StepFailed(`the server still has ${found} named shop`, "npm run postgres -- psql -c '\\l' -c '\\du'");
        await waitFor(async () => ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'shop-postgres', namespace: ns }).then(() => undefined, () => true),
          () => new StepFailed('Secret shop-postgres was not garbage-collected', `kubectl get secret shop-postgres -n ${ns} -o yaml`));
      },
      expected: 'postgresdatabase "shop" deleted, and no database shop in the list',
      hint: 'The delete returns once the finalizer is gone, which is after the database was dropped.',
      solution: `kubectl delete postgresdatabase shop -n ${ns}`,
    },
    {
      id: 'in-cluster',
      title: 'Run the server as a pod in the cluster',
      commands: [
        `kubectl apply -f ${manifests}/postgres-in-cluster.yaml`,
        'kubectl rollout status deployment/postgres -n workshop-postgres --timeout=3m',
      ],
      needs: 'containers',
      async verify(ctx) {
        await outputMatches(ctx, 'kubectl exec -n workshop-postgres deploy/postgres -- pg_isready -U workshop -h 127.0.0.1', /accepting connections/, 180_000);
      },
      expected: 'deployment "postgres" successfully rolled out; pg_isready says accepting connections',
      hint: 'The image, k8s-patterns/postgres:15, is built by the kit and never pulled: `npm run images` loads it into kind, and a real node imports it when it starts. ErrImagePull or ImagePullBackOff means the node lacks it.',
      solution: `kubectl apply -f ${manifests}/postgres-in-cluster.yaml`,
    },
  ],
};

export default lesson;
