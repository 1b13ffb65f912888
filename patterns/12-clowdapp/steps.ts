// Lesson 12, clowdapp: the kit's ClowdApp operator (operator/clowder), compatible with Red Hat's
// Clowder. An app hand-written as a Deployment, a Service and a config Secret becomes a ClowdApp;
// then changing how the *environment* provides a database changes what the operator creates, while
// the app's config document keeps its shape — the app itself stays the same in every environment.
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { APP_FINALIZER, ENV_FINALIZER, GROUP, VERSION, type ClowdApp, type ClowdEnvironment } from '../../operator/clowder/api.ts';
import { removeFinalizer } from '../../operator/runtime/finalizers.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { appears, deploymentRolledOut, MISSING_AFTER_MS } from '../checks.ts';
import { StepFailed, Deployments, Pods, Services, type Lesson, type LessonContext, type Program } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'clowdapp';
const manifests = 'patterns/12-clowdapp/manifests';
const switchToLocalDb = `kubectl patch clowdenvironment workshop --type merge -p '{"spec":{"providers":{"db":{"mode":"local"}}}}'`;
/**
 * The local database's image for PostgreSQL 15, the version clowdapp.yaml asks for: the kit's
 * own build (kind/images/), since lesson pods run only images built here. Neither
 * Clowder's ClowdEnvironment nor ours has a field for it, so the operator is told (lesson.md, step 6).
 */
const dbImage = '15=k8s-patterns/postgres:15';
// Runs in a second terminal until Ctrl-C. scripts/operator.ts prints "clowder: running" once the
// CRDs are installed and the caches are filled.
const operator: Program = { terminal: 'operator', start: `npm run operator -- clowder --postgres-image ${dbImage}`, ready: /^clowder: running/m };
/** Prints the config document the operator wrote for the app: what the app reads at ACG_CONFIG. */
const showConfig = `kubectl get secret inventory -n ${ns} -o go-template='{{index .data "cdappconfig.json" | base64decode}}{{"\\n"}}'`;
const CRDS = ['clowdenvironments', 'clowdapps', 'clowdjobinvocations', 'clowdapprefs'].map((plural) => `${plural}.${GROUP}`);

const custom = (ctx: LessonContext) => ctx.kc.makeApiClient(CustomObjectsApi);
const readEnv = (ctx: LessonContext) => custom(ctx)
  .getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clowdenvironments', name: 'workshop' })
  .then((e) => e as ClowdEnvironment, () => undefined);
const readApp = (ctx: LessonContext) => custom(ctx)
  .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'clowdapps', name: 'inventory' })
  .then((a) => a as ClowdApp, () => undefined);

/** The config document the operator (or the hand-written Secret) gives the app. */
async function appConfig(ctx: LessonContext, secret: string): Promise<Record<string, unknown> | undefined> {
  const found = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: secret, namespace: ns }).catch(() => undefined);
  const data = found?.data?.['cdappconfig.json'];
  return data ? JSON.parse(Buffer.from(data, 'base64').toString('utf8')) : undefined;
}

/**
 * The config document the attendee reads: as the step's last command printed it when the step
 * just ran (one line of JSON), else as stored in the Secret.
 */
async function configShown(ctx: LessonContext): Promise<Record<string, unknown>> {
  const printed = ctx.output?.split('\n').reverse().find((line) => line.startsWith('{"'));
  const config = ctx.output === undefined ? await appConfig(ctx, 'inventory') : printed && JSON.parse(printed);
  if (!config) throw new StepFailed('no cdappconfig.json was printed: does the Secret inventory exist?', showConfig);
  return config;
}

/**
 * Waits until the ClowdApp reports ReconciliationSuccessful=True for its current generation. The
 * operator answers within a second or two, so 10 s without an answer means it does not run; a
 * failed pass fails the check at once, with the operator's own message.
 */
async function reconciled(ctx: LessonContext): Promise<ClowdApp> {
  const app = await appears(ctx, 'clowdapp inventory', () => readApp(ctx), `kubectl get clowdapps -n ${ns}`);
  let seen = 'no status yet';
  return waitFor(async () => {
    const current = (await readApp(ctx)) ?? app;
    const conditions = current.status?.conditions ?? [];
    const ok = conditions.find((c) => c.type === 'ReconciliationSuccessful');
    const failed = conditions.find((c) => c.type === 'ReconciliationFailed' && c.status === 'True');
    seen = failed ? `ReconciliationFailed: ${failed.message}` : ok ? `ReconciliationSuccessful=${ok.status}` : seen;
    const done = ok?.status === 'True' && current.status?.generation === current.metadata?.generation;
    if (!done) ctx.progress(`waiting for the operator to reconcile ClowdApp inventory: ${seen}`);
    return done ? current : undefined;
  }, () => new StepFailed(`ClowdApp inventory is not reconciled (${seen}); is the operator running? (npm run lesson -- status)`,
    `kubectl get clowdapp inventory -n ${ns} -o yaml`), MISSING_AFTER_MS);
}

/**
 * The Deployment's configHash annotation is the hash of the config it runs with
 * (operator/clowder/SPEC.md §4.9), and it has rolled out.
 */
async function runsCurrentConfig(ctx: LessonContext): Promise<string> {
  let hash = '';
  await waitFor(async () => {
    const secret = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'inventory', namespace: ns });
    const stored = Buffer.from(secret.data!['cdappconfig.json'], 'base64');
    const web = await ctx.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'inventory-api', namespace: ns });
    hash = createHash('sha256').update(stored).digest('hex');
    return web.spec?.template.metadata?.annotations?.configHash === hash ? true : undefined;
  }, () => new StepFailed('the inventory-api pods do not run the current config (configHash differs)', `kubectl get deployment inventory-api -n ${ns} -o yaml | grep configHash`), MISSING_AFTER_MS);
  // A genuine wait: Clowder's readiness probe first looks 45 s after the container starts.
  const rollout = await deploymentRolledOut(ctx, 'inventory-api', 150_000);
  return `${rollout}, with configHash ${hash.slice(0, 12)}… of the current cdappconfig.json`;
}

/**
 * What `kubectl get clowdapp` shows in READY and MANAGED: the operator counts the Deployments the
 * app owns, and updates the counts as they become ready. Waits until all `want` are ready.
 */
async function countsReady(ctx: LessonContext, want: number): Promise<string> {
  let seen = 'no counts yet';
  return waitFor(async () => {
    const d = (await readApp(ctx))?.status?.deployments;
    if (d) seen = `${d.readyDeployments}/${d.managedDeployments}`;
    const done = d?.managedDeployments === want && d.readyDeployments === want;
    if (!done) ctx.progress(`waiting for ClowdApp inventory to count ${want}/${want} deployments ready: ${seen}`);
    return done ? `ClowdApp inventory counts ${seen} deployments ready` : undefined;
  }, () => new StepFailed(`ClowdApp inventory counts ${seen} deployments ready, expected ${want}/${want}`, `kubectl get clowdapp inventory -n ${ns}`), 150_000);
}

/**
 * The ClowdApp and the ClowdEnvironment carry finalizers that only the operator removes, and it is
 * stopped by now: deleting the lesson namespace would hang on the first and never reach the
 * second, which is cluster-scoped. So do what the operator would have done: remove the
 * finalizers, delete the environment, and delete the target namespace it generated.
 */
async function resetClowdLesson(ctx: LessonContext): Promise<void> {
  const typed = <T extends ClowdApp | ClowdEnvironment>(o: T, kind: string) => ({ ...o, apiVersion: `${GROUP}/${VERSION}`, kind });
  const apps = await custom(ctx).listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'clowdapps' })
    .then((l) => (l as { items: ClowdApp[] }).items, () => []);
  const env = await readEnv(ctx);
  const client = new KubeClient(ctx.kc);
  try {
    for (const app of apps) await removeFinalizer(client, typed(app, 'ClowdApp'), APP_FINALIZER);
    if (env) await removeFinalizer(client, typed(env, 'ClowdEnvironment'), ENV_FINALIZER);
  } finally {
    client.close();
  }
  if (!env) return;
  await custom(ctx).deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clowdenvironments', name: 'workshop' }).catch(() => {});
  const generated = !env.spec.targetNamespace && env.status?.targetNamespace;
  if (!generated) return;
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const gone = () => core.readNamespace({ name: generated }).then(() => undefined, () => true);
  if (await gone()) return;
  await core.deleteNamespace({ name: generated });
  await waitFor(gone, () => new Error(`namespace ${generated} of ClowdEnvironment workshop was not deleted within 120 s`), 120_000);
}

const lesson: Lesson = {
  id: ns,
  number: 12,
  title: 'ClowdApp',
  goal: 'Describe an app as a ClowdApp and let an operator build its Deployment, Service and config, the same way in every environment.',
  dir: 'patterns/12-clowdapp',
  // The operator turns one ClowdApp into Deployments and Services; the conditions say how far it got.
  live: {
    kinds: [
      { apiVersion: 'cloud.redhat.com/v1alpha1', kind: 'ClowdEnvironment', clusterScoped: true },
      { apiVersion: 'cloud.redhat.com/v1alpha1', kind: 'ClowdApp' },
      Deployments, Services, Pods,
    ],
  },
  steps: [
    namespaceStep(ns, 'baseline'),
    {
      id: 'hand-written',
      title: 'Deploy the app by hand',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/hand-written.yaml`,
        `kubectl rollout status deployment/inventory-api -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        const rollout = await deploymentRolledOut(ctx, 'inventory-api');
        const config = await appConfig(ctx, 'inventory-config');
        if (config?.webPort !== 8000) throw new StepFailed('the hand-written config has no webPort 8000', `kubectl get secret inventory-config -n ${ns} -o yaml`);
        return `${rollout}; it reads cdappconfig.json from Secret inventory-config, which says webPort 8000`;
      },
      expected: 'secret/inventory-config, deployment.apps/inventory-api and service/inventory-api created; deployment "inventory-api" successfully rolled out',
      hint: 'All three objects are in hand-written.yaml.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/hand-written.yaml`,
    },
    {
      id: 'start-operator',
      title: 'Install the Clowder resource types and start the operator',
      commands: ['kubectl apply --server-side -f operator/clowder/manifests/', operator],
      needs: 'any',
      async verify(ctx) {
        const extensions = ctx.kc.makeApiClient(ApiextensionsV1Api);
        const established = async (name: string) => (await extensions.readCustomResourceDefinition({ name }).catch(() => undefined))
          ?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
        let missing: string[] = [];
        await waitFor(async () => {
          missing = [];
          for (const name of CRDS) if (!(await established(name))) missing.push(name);
          return missing.length ? undefined : true;
        }, () => new StepFailed(`not installed and established: ${missing.join(', ')}`, `kubectl get crd | grep ${GROUP}`), MISSING_AFTER_MS);
        // The operator's first lines, when it was started just now: it says when its caches are filled.
        const synced = ctx.output?.match(/caches synced: .*/)?.[0];
        return `the four ${GROUP} CRDs are established` + (synced ? `; the operator logged "${synced.slice(0, 80)}…"` : '');
      },
      expected: 'four CRDs of the cloud.redhat.com group serverside-applied; the operator logs "caches synced: 0 ClowdEnvironments, 0 ClowdApps, …", then clowder: running',
      hint: 'Server-side apply: the CRDs are too large for the annotation client-side apply keeps.',
      solution: `kubectl apply --server-side -f operator/clowder/manifests/ && ${operator.start}`,
    },
    {
      id: 'environment',
      title: 'Describe the environment',
      commands: [
        `kubectl apply -f ${manifests}/environment.yaml`,
        'kubectl wait --for condition=ReconciliationSuccessful clowdenvironment/workshop --timeout=60s',
        'kubectl get clowdenvironment workshop',
      ],
      needs: 'any',
      async verify(ctx) {
        await appears(ctx, 'clowdenvironment workshop', () => readEnv(ctx), 'kubectl get clowdenvironments');
        let seen = 'no status yet';
        const env = await waitFor(async () => {
          const e = await readEnv(ctx);
          const ok = e?.status?.conditions?.find((c) => c.type === 'ReconciliationSuccessful')?.status === 'True';
          if (e?.status?.targetNamespace) seen = `target namespace ${e.status.targetNamespace}, ${ok ? 'reconciled' : 'not reconciled yet'}`;
          const done = ok && e?.status?.ready && e.status.generation === e.metadata?.generation ? e : undefined;
          if (!done) ctx.progress(`waiting for the operator to reconcile ClowdEnvironment workshop: ${seen}`);
          return done;
        }, () => new StepFailed(`ClowdEnvironment workshop is not reconciled and ready (${seen}); is the operator running? (npm run lesson -- status)`,
          'kubectl get clowdenvironment workshop -o yaml'), MISSING_AFTER_MS);
        const { targetNamespace, deployments } = env.status!;
        return `ClowdEnvironment workshop is ready; target namespace ${targetNamespace}; READY ${deployments?.readyDeployments}, MANAGED ${deployments?.managedDeployments} (it runs no servers of its own)`;
      },
      expected: 'clowdenvironment.cloud.redhat.com/workshop created, then condition met; `kubectl get` shows READY 0, MANAGED 0 and a generated NAMESPACE clowdenv-workshop-…',
      hint: 'A ClowdEnvironment is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${manifests}/environment.yaml`,
    },
    {
      id: 'clowdapp',
      title: 'Replace the hand-written objects with a ClowdApp',
      commands: [
        `kubectl delete -n ${ns} -f ${manifests}/hand-written.yaml`,
        `kubectl apply -n ${ns} -f ${manifests}/clowdapp.yaml`,
        // Ready: every Deployment the app owns is rolled out (Clowder's probe first looks after 45 s).
        `kubectl wait --for=jsonpath='{.status.ready}'=true clowdapp/inventory -n ${ns} --timeout=3m`,
        `kubectl get clowdapp,deployments,services,secrets -n ${ns}`,
        showConfig,
      ],
      needs: 'any',
      async verify(ctx) {
        await reconciled(ctx);
        const rollout = await runsCurrentConfig(ctx);
        const counts = await countsReady(ctx, 1);
        const service = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'inventory-api', namespace: ns });
        const ports = service.spec?.ports?.map((p) => `${p.name}:${p.port}`).join(',');
        const config = await configShown(ctx);
        if (ports !== 'public:8000,metrics:9000' || config?.webPort !== 8000 || config?.metricsPort !== 9000 || 'database' in (config ?? {})) {
          throw new StepFailed(`unexpected objects: Service ports [${ports}], config keys [${Object.keys(config ?? {})}]`, `kubectl get secret inventory -n ${ns} -o jsonpath='{.data.cdappconfig\\.json}' | base64 -d`);
        }
        return `${counts}; ${rollout}; service inventory-api has ports ${ports}; cdappconfig.json has [${Object.keys(config!).join(', ')}], no database`;
      },
      expected: 'the operator creates deployment inventory-api, service inventory-api (ports public 8000 and metrics 9000), serviceaccounts and the secret inventory holding cdappconfig.json — with no database section, since the environment provides none; `kubectl get clowdapp` shows READY 1, MANAGED 1',
      hint: 'The ClowdApp names only its environment, image and needs; the names of what it gets are derived from app and deployment names.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/clowdapp.yaml`,
    },
    {
      id: 'local-db',
      title: 'Give the environment a database',
      commands: [
        switchToLocalDb,
        // The operator adds the database's Deployment to the app's: two managed, not yet ready.
        `kubectl wait --for=jsonpath='{.status.deployments.managedDeployments}'=2 clowdapp/inventory -n ${ns} --timeout=60s`,
        `kubectl wait --for=jsonpath='{.status.ready}'=true clowdapp/inventory -n ${ns} --timeout=3m`,
        `kubectl get clowdapp,deployments -n ${ns}`,
        showConfig,
      ],
      needs: 'any',
      async verify(ctx) {
        // Clowder's readiness probe first looks 45 s after the container starts.
        const db = await deploymentRolledOut(ctx, 'inventory-db', 150_000);
        const section = (await configShown(ctx)).database as { hostname?: string; port?: number; name?: string } | undefined;
        if (!section) throw new StepFailed('the config document has no database section', showConfig);
        if (section.hostname !== `inventory-db.${ns}.svc` || section.port !== 5432 || section.name !== 'inventory') {
          throw new StepFailed(`unexpected database section ${JSON.stringify(section)}`, `kubectl get secret inventory -n ${ns} -o yaml`);
        }
        await reconciled(ctx);
        const api = await runsCurrentConfig(ctx); // the config changed, so its hash did, so the pods rolled
        const counts = await countsReady(ctx, 2);
        return `${counts}; ${db}; cdappconfig.json has database ${section.name} at ${section.hostname}:${section.port}; ${api}`;
      },
      expected: 'a PostgreSQL Deployment, Service and Secret named inventory-db appear; cdappconfig.json gains a database section and inventory-api rolls to pick it up; `kubectl get clowdapp` shows READY 2, MANAGED 2',
      hint: 'Only the environment changes; the ClowdApp already asked for a database called inventory.',
      solution: switchToLocalDb,
    },
  ],
  reset: resetClowdLesson,
};

export default lesson;
