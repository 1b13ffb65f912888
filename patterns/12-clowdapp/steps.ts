// Lesson 12, clowdapp: the kit's ClowdApp operator (operator/clowder), compatible with Red Hat's
// Clowder. An app hand-written as a Deployment, a Service and a config Secret becomes a ClowdApp;
// then changing how the *environment* provides a database changes what the operator creates, while
// the app's config document keeps its shape — the app itself stays the same in every environment.
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { GROUP, VERSION, type ClowdApp } from '../../operator/clowder/api.ts';
import { installCrds } from '../../operator/clowder/install-crds.ts';
import { clowderOperator } from '../../operator/clowder/operator.ts';
import { withPostgresImages } from '../../operator/clowder/settings.ts';
import { deploymentRolledOut } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'clowdapp';
const manifests = 'patterns/12-clowdapp/manifests';
const switchToLocalDb = `kubectl patch clowdenvironment workshop --type merge -p '{"spec":{"providers":{"db":{"mode":"local"}}}}'`;
/**
 * The local database's image for PostgreSQL 15, the version clowdapp.yaml asks for: the kit's
 * own build (scripts/cluster/images/), since lesson pods run only images built here. Neither
 * Clowder's ClowdEnvironment nor ours has a field for it, so the operator is told (lesson.md, step 6).
 */
const dbImage = '15=k8s-patterns/postgres:15';
const runOperator = `npm run operator -- clowder --postgres-image ${dbImage}`;

/** The config document the operator (or the hand-written Secret) gives the app. */
async function appConfig(ctx: LessonContext, secret: string): Promise<Record<string, unknown> | undefined> {
  const found = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: secret, namespace: ns }).catch(() => undefined);
  const data = found?.data?.['cdappconfig.json'];
  return data ? JSON.parse(Buffer.from(data, 'base64').toString('utf8')) : undefined;
}

/** Waits until the ClowdApp reports ReconciliationSuccessful=True for its current generation. */
async function reconciled(ctx: LessonContext): Promise<void> {
  const custom = ctx.kc.makeApiClient(CustomObjectsApi);
  let seen = 'no status yet';
  await waitFor(async () => {
    const app = await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'clowdapps', name: 'inventory' })
      .then((a) => a as ClowdApp, () => undefined);
    const conditions = app?.status?.conditions ?? [];
    const ok = conditions.find((c) => c.type === 'ReconciliationSuccessful');
    const failed = conditions.find((c) => c.type === 'ReconciliationFailed' && c.status === 'True');
    seen = failed ? `ReconciliationFailed: ${failed.message}` : ok ? `ReconciliationSuccessful=${ok.status}` : seen;
    return ok?.status === 'True' ? true : undefined;
  }, () => new StepFailed(`ClowdApp inventory is not reconciled (${seen}); is the operator running?`, `kubectl get clowdapp inventory -n ${ns} -o yaml`));
}

/** The Deployment's configHash annotation is the hash of the config it runs with (§4.9). */
async function runsCurrentConfig(ctx: LessonContext): Promise<void> {
  await waitFor(async () => {
    const secret = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'inventory', namespace: ns });
    const stored = Buffer.from(secret.data!['cdappconfig.json'], 'base64');
    const web = await ctx.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'inventory-api', namespace: ns });
    const hash = createHash('sha256').update(stored).digest('hex');
    return web.spec?.template.metadata?.annotations?.configHash === hash ? true : undefined;
  }, () => new StepFailed('the inventory-api pods do not run the current config (configHash differs)', `kubectl get deployment inventory-api -n ${ns} -o yaml | grep configHash`));
  // A genuine wait: Clowder's readiness probe first looks 45 s after the container starts.
  await deploymentRolledOut(ctx, 'inventory-api', 150_000);
}

/** What `npm run operator -- clowder --postgres-image …` does, in this process: install the CRDs, then run. */
const startOperator = (ctx: LessonContext) => ctx.keepRunning('clowder', async () => {
  await installCrds(ctx.kc);
  const { manager } = clowderOperator({ kubeConfig: ctx.kc, health: { port: 0 }, log: () => {}, settings: withPostgresImages([dbImage]) });
  await manager.start();
  return () => manager.stop();
});

/**
 * The ClowdApp and the ClowdEnvironment carry finalizers, and the environment is cluster-scoped:
 * deleting the lesson namespace alone would hang on the first and miss the second. So they are
 * deleted first, with the operator running to finish its cleanup.
 */
async function deleteClowdObjects(ctx: LessonContext): Promise<void> {
  const custom = ctx.kc.makeApiClient(CustomObjectsApi);
  const app = { group: GROUP, version: VERSION, namespace: ns, plural: 'clowdapps', name: 'inventory' };
  const env = { group: GROUP, version: VERSION, plural: 'clowdenvironments', name: 'workshop' };
  const appExists = () => custom.getNamespacedCustomObject(app).then(() => true, () => false);
  const envExists = () => custom.getClusterCustomObject(env).then(() => true, () => false);
  if (!(await appExists()) && !(await envExists())) return;
  await startOperator(ctx);
  await custom.deleteNamespacedCustomObject(app).catch(() => {});
  await waitFor(async () => ((await appExists()) ? undefined : true), () => new Error('ClowdApp inventory was not deleted'));
  await custom.deleteClusterCustomObject(env).catch(() => {});
  await waitFor(async () => ((await envExists()) ? undefined : true), () => new Error('ClowdEnvironment workshop was not deleted'));
  await ctx.stopRunning('clowder');
}

const lesson: Lesson = {
  id: ns,
  number: 12,
  title: 'ClowdApp',
  goal: 'Describe an app as a ClowdApp and let an operator build its Deployment, Service and config, the same way in every environment.',
  dir: 'patterns/12-clowdapp',
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
        await deploymentRolledOut(ctx, 'inventory-api');
        const config = await appConfig(ctx, 'inventory-config');
        if (config?.webPort !== 8000) throw new StepFailed('the hand-written config has no webPort 8000', `kubectl get secret inventory-config -n ${ns} -o yaml`);
      },
      expected: 'secret/inventory-config, deployment.apps/inventory-api and service/inventory-api created',
      hint: 'All three objects are in hand-written.yaml.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/hand-written.yaml`,
    },
    {
      id: 'start-operator',
      title: 'Install the Clowder resource types and start the operator',
      commands: [
        'kubectl apply --server-side -f operator/clowder/manifests/',
        `${runOperator}   # in a second terminal; leave it running`,
      ],
      needs: 'any',
      run: startOperator,
      async verify(ctx) {
        const custom = ctx.kc.makeApiClient(CustomObjectsApi);
        await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clowdenvironments' }).catch(() => {
          throw new StepFailed('the ClowdEnvironment resource type is not installed', 'kubectl get crd | grep cloud.redhat.com');
        });
      },
      expected: 'four CRDs of the cloud.redhat.com group serverside-applied; the operator logs that its caches are synced',
      hint: 'Server-side apply: the CRDs are too large for the annotation client-side apply keeps.',
      solution: `kubectl apply --server-side -f operator/clowder/manifests/ && ${runOperator}`,
    },
    {
      id: 'environment',
      title: 'Describe the environment',
      commands: [`kubectl apply -f ${manifests}/environment.yaml`, 'kubectl get clowdenvironment workshop'],
      needs: 'any',
      async verify(ctx) {
        const custom = ctx.kc.makeApiClient(CustomObjectsApi);
        await waitFor(async () => {
          const env = await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clowdenvironments', name: 'workshop' })
            .then((e) => e as { status?: { targetNamespace?: string } }, () => undefined);
          return env?.status?.targetNamespace ? true : undefined;
        }, () => new StepFailed('ClowdEnvironment workshop has no target namespace yet; is the operator running?', 'kubectl get clowdenvironment workshop -o yaml'));
      },
      expected: 'clowdenvironment.cloud.redhat.com/workshop created; its status names a generated target namespace clowdenv-workshop-…',
      hint: 'A ClowdEnvironment is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${manifests}/environment.yaml`,
    },
    {
      id: 'clowdapp',
      title: 'Replace the hand-written objects with a ClowdApp',
      commands: [
        `kubectl delete -n ${ns} -f ${manifests}/hand-written.yaml`,
        `kubectl apply -n ${ns} -f ${manifests}/clowdapp.yaml`,
        `kubectl get deployments,services,secrets -n ${ns}`,
      ],
      needs: 'any',
      async verify(ctx) {
        await reconciled(ctx);
        await runsCurrentConfig(ctx);
        const service = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'inventory-api', namespace: ns });
        const ports = service.spec?.ports?.map((p) => `${p.name}:${p.port}`).join(',');
        const config = await appConfig(ctx, 'inventory');
        if (ports !== 'public:8000,metrics:9000' || config?.webPort !== 8000 || config?.metricsPort !== 9000 || 'database' in (config ?? {})) {
          throw new StepFailed(`unexpected objects: Service ports [${ports}], config keys [${Object.keys(config ?? {})}]`, `kubectl get secret inventory -n ${ns} -o jsonpath='{.data.cdappconfig\\.json}' | base64 -d`);
        }
      },
      expected: 'the operator creates deployment inventory-api, service inventory-api (ports public 8000 and metrics 9000), serviceaccounts and the secret inventory holding cdappconfig.json — with no database section, since the environment provides none',
      hint: 'The ClowdApp names only its environment, image and needs; the names of what it gets are derived from app and deployment names.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/clowdapp.yaml`,
    },
    {
      id: 'local-db',
      title: 'Give the environment a database',
      commands: [
        switchToLocalDb,
        // The operator creates the Deployment a moment later; rollout status alone would say "not found".
        `kubectl wait --for=create deployment/inventory-db -n ${ns} --timeout=60s`,
        `kubectl rollout status deployment/inventory-db -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        // Clowder's readiness probe first looks 45 s after the container starts.
        await deploymentRolledOut(ctx, 'inventory-db', 150_000);
        let database: unknown;
        await waitFor(async () => {
          database = (await appConfig(ctx, 'inventory'))?.database;
          return database ? true : undefined;
        }, () => new StepFailed('the config document has no database section', `kubectl get secret inventory -n ${ns} -o yaml`));
        const db = database as { hostname?: string; port?: number; name?: string };
        if (db.hostname !== `inventory-db.${ns}.svc` || db.port !== 5432 || db.name !== 'inventory') {
          throw new StepFailed(`unexpected database section ${JSON.stringify(db)}`, `kubectl get secret inventory -n ${ns} -o yaml`);
        }
        await reconciled(ctx);
        await runsCurrentConfig(ctx); // the config changed, so its hash did, so the pods rolled
      },
      expected: 'a PostgreSQL Deployment, Service and Secret named inventory-db appear; cdappconfig.json gains a database section and inventory-api rolls to pick it up',
      hint: 'Only the environment changes; the ClowdApp already asked for a database called inventory.',
      solution: switchToLocalDb,
    },
  ],
  reset: deleteClowdObjects,
};

export default lesson;
