// Lesson 9, operator: the controller of lesson 8 grown into an operator. Its configuration
// moves from an annotation into a custom resource with a schema, validation, status, Events
// and a finalizer — the API a team would expect from anything it installs into a cluster.
import { ApiextensionsV1Api, AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { configHash, GROUP, hashAnnotation, PLURAL, VERSION, type ConfigWatcher } from '../../operator/config-watcher/config-watcher.ts';
import { installCrd } from '../../operator/config-watcher/install-crd.ts';
import { configWatcherOperator } from '../../operator/config-watcher/operator.ts';
import { deploymentRolledOut } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'operator';
const manifests = 'patterns/09-operator/manifests';
const crd = 'operator/config-watcher/manifests/crd.yaml';
const patch = `kubectl patch configmap web-config -n ${ns} --type merge -p '{"data":{"GREETING":"Hi"}}'`;
const emptySelectorMessage = 'spec.podSelector must name at least one label';

const watchers = (ctx: LessonContext) => ctx.kc.makeApiClient(CustomObjectsApi);
const readWatcher = (ctx: LessonContext, name: string) => watchers(ctx)
  .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })
  .then((o) => o as ConfigWatcher, () => undefined);

/** The API's answer to creating the invalid watcher, asked as a dry run so nothing is stored. */
async function rejection(ctx: LessonContext): Promise<string> {
  const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'ConfigWatcher', metadata: { name: 'everything-watcher' }, spec: { configMap: 'web-config', podSelector: {} } };
  return watchers(ctx).createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body, dryRun: 'All' })
    .then(() => 'accepted', (e: { body?: string }) => String(JSON.parse(e.body ?? '{}').message));
}

/** What `npm run operator -- config-watcher` does, in this process. */
const startOperator = (ctx: LessonContext) => ctx.keepRunning('config-watcher', async () => {
  await installCrd(ctx.kc);
  const { manager } = configWatcherOperator({ kubeConfig: ctx.kc, namespace: ns, health: { port: 0 }, log: () => {} });
  await manager.start();
  return () => manager.stop();
});

/**
 * A ConfigWatcher left behind (a run that stopped half-way) holds a finalizer that only the
 * operator removes: deleting the namespace alone would wait forever. So delete them with the
 * operator running first.
 */
async function deleteWatchers(ctx: LessonContext): Promise<void> {
  const list = () => watchers(ctx).listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
    .then((l) => (l as { items: ConfigWatcher[] }).items, () => []);
  const left = await list();
  if (left.length === 0) return;
  await startOperator(ctx);
  for (const w of left) {
    await watchers(ctx).deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: w.metadata!.name! }).catch(() => {});
  }
  await waitFor(async () => ((await list()).length ? undefined : true), () => new Error('ConfigWatchers of the operator lesson were not deleted'));
  await ctx.stopRunning('config-watcher');
}

/**
 * The in-cluster operator of the last step lives in a namespace of its own, outside the lesson's:
 * left running, it would go on reconciling every ConfigWatcher in the cluster.
 */
async function resetOperatorLesson(ctx: LessonContext): Promise<void> {
  await deleteWatchers(ctx);
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const gone = () => core.readNamespace({ name: 'config-watcher' }).then(() => undefined, () => true);
  if (await gone()) return;
  await core.deleteNamespace({ name: 'config-watcher' });
  await waitFor(gone, () => new Error('namespace config-watcher of the in-cluster operator was not deleted within 120 s'), 120_000);
}

const lesson: Lesson = {
  id: ns,
  number: 9,
  title: 'Operator',
  goal: 'Turn a controller into an operator with its own validated resource, status, Events and finalizer.',
  dir: 'patterns/09-operator',
  steps: [
    namespaceStep(ns),
    {
      id: 'crd',
      title: 'Install the ConfigWatcher resource type',
      commands: [
        `kubectl apply -f ${crd}`,
        'kubectl wait --for condition=Established crd/configwatchers.k8spatterns.com --timeout=60s',
      ],
      needs: 'any',
      async verify(ctx) {
        const found = await ctx.kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'configwatchers.k8spatterns.com' }).catch(() => undefined);
        const established = found?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
        if (!established) throw new StepFailed('the ConfigWatcher CRD is not installed and established', 'kubectl get crd configwatchers.k8spatterns.com -o yaml');
      },
      expected: 'customresourcedefinition.apiextensions.k8s.io/configwatchers.k8spatterns.com created, then condition met; `kubectl get cw` now works',
      hint: 'A CRD is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${crd}`,
    },
    {
      id: 'validation',
      title: 'Let the API server reject a bad ConfigWatcher',
      commands: [`kubectl apply -n ${ns} -f ${manifests}/invalid-watcher.yaml`],
      needs: 'any',
      // The command is meant to fail; what would be wrong is if it succeeded.
      async run(ctx) {
        const accepted = await ctx.sh(this.commands[0]).then(() => true, () => false);
        if (accepted) throw new Error('the invalid ConfigWatcher was accepted: is the CRD from the previous step installed?');
      },
      async verify(ctx) {
        const message = await rejection(ctx);
        if (!message.includes(emptySelectorMessage) || await readWatcher(ctx, 'everything-watcher')) {
          throw new StepFailed(`expected the API to refuse an empty podSelector, it said: ${message}`, `kubectl get crd configwatchers.k8spatterns.com -o yaml | grep -A3 x-kubernetes-validations`);
        }
      },
      expected: `The ConfigWatcher "everything-watcher" is invalid: spec.podSelector: Invalid value: …: ${emptySelectorMessage}; …`,
      hint: 'This step is supposed to fail: read the message the API server gives.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/invalid-watcher.yaml   # fails, by design`,
    },
    {
      id: 'deploy',
      title: 'Deploy the app and its ConfigWatcher',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/app.yaml -f ${manifests}/watcher.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        if (!(await readWatcher(ctx, 'web-watcher'))) throw new StepFailed('configwatcher web-watcher does not exist', `kubectl get cw -n ${ns}`);
      },
      expected: 'configmap/web-config, deployment.apps/web and configwatcher.k8spatterns.com/web-watcher created',
      hint: 'kubectl apply takes several -f flags.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml -f ${manifests}/watcher.yaml`,
    },
    {
      id: 'start-operator',
      title: 'Start the operator',
      commands: [
        `npm run operator -- config-watcher --namespace ${ns}   # in a second terminal; leave it running`,
        `kubectl get cw -n ${ns}`,
      ],
      needs: 'any',
      run: startOperator,
      async verify(ctx) {
        let seen = 'no status yet';
        await waitFor(async () => {
          const w = await readWatcher(ctx, 'web-watcher');
          const ready = w?.status?.conditions?.find((c) => c.type === 'Ready');
          seen = ready ? `Ready=${ready.status} (${ready.reason}: ${ready.message})` : seen;
          const done = ready?.status === 'True' && w?.status?.observedGeneration === w?.metadata?.generation && (w?.metadata?.finalizers?.length ?? 0) > 0;
          return done ? true : undefined;
        }, () => new StepFailed(`web-watcher is not reported Ready with a finalizer (${seen}); is the operator running?`, `kubectl get cw web-watcher -n ${ns} -o yaml`));
      },
      expected: 'the operator logs that its caches are synced; `kubectl get cw` shows web-watcher with READY True',
      hint: 'The operator runs outside the cluster, with your kubeconfig; keep its terminal open.',
      solution: `npm run operator -- config-watcher --namespace ${ns}`,
    },
    {
      id: 'change-config',
      title: 'Change the configuration',
      commands: [patch, `kubectl get events -n ${ns} --field-selector involvedObject.kind=ConfigWatcher`],
      needs: 'any',
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const apps = ctx.kc.makeApiClient(AppsV1Api);
        const key = hashAnnotation({ metadata: { name: 'web-watcher' } });
        await waitFor(async () => {
          const cm = await core.readNamespacedConfigMap({ name: 'web-config', namespace: ns });
          const web = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
          return web.spec?.template.metadata?.annotations?.[key] === configHash(cm.data, cm.binaryData) ? true : undefined;
        }, () => new StepFailed('the web pods were not rolled for the new data', `kubectl get deployment web -n ${ns} -o jsonpath='{.spec.template.metadata.annotations}'; kubectl get events -n ${ns}`));
        await deploymentRolledOut(ctx, 'web');
        const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=ConfigWatcher' });
        if (!events.items.some((e) => e.reason === 'RolloutRestarted')) {
          throw new StepFailed('no RolloutRestarted Event was recorded for the ConfigWatcher', `kubectl get events -n ${ns}`);
        }
      },
      expected: 'the web pods are replaced, and a Normal RolloutRestarted event names the ConfigWatcher',
      hint: 'The operator must still be running in its terminal.',
      solution: patch,
    },
    {
      id: 'delete-watcher',
      title: 'Delete the ConfigWatcher',
      commands: [`kubectl delete configwatcher web-watcher -n ${ns} --timeout=60s`],
      needs: 'any',
      async verify(ctx) {
        await waitFor(async () => ((await readWatcher(ctx, 'web-watcher')) ? undefined : true),
          () => new StepFailed('web-watcher still exists: its finalizer was not removed (is the operator running?)', `kubectl get cw web-watcher -n ${ns} -o yaml`));
      },
      expected: 'configwatcher "web-watcher" deleted, after the operator removed its annotation from the Deployment and then its finalizer',
      hint: 'Deletion waits for the finalizer; the operator removes it once its cleanup is done.',
      solution: `kubectl delete configwatcher web-watcher -n ${ns}`,
    },
    {
      id: 'in-cluster',
      title: 'Run the operator inside the cluster',
      commands: [
        '# stop the operator in the second terminal (Ctrl-C), then:',
        'kubectl apply -f operator/config-watcher/manifests/rbac.yaml -f operator/config-watcher/manifests/deployment.yaml',
        'kubectl rollout status deployment/config-watcher -n config-watcher --timeout=2m',
      ],
      needs: 'containers',
      async run(ctx) {
        await ctx.stopRunning('config-watcher');
        for (const command of this.commands.slice(1)) await ctx.sh(command);
      },
      // kwok reports the pods ready without running them. The Lease is written only by an
      // operator process that runs, under its pod's name: that is the evidence.
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const leases = ctx.kc.makeApiClient(CoordinationV1Api);
        let seen = 'no lease';
        await waitFor(async () => {
          const holder = await leases.readNamespacedLease({ name: 'config-watcher', namespace: 'config-watcher' })
            .then((l) => l.spec?.holderIdentity, () => undefined);
          const pods = (await core.listNamespacedPod({ namespace: 'config-watcher', labelSelector: 'app=config-watcher' })).items.map((p) => p.metadata?.name);
          seen = `lease held by ${holder ?? 'nobody'}, pods [${pods.join(', ')}]`;
          return holder && pods.includes(holder) ? true : undefined;
        }, () => new StepFailed(`no config-watcher pod leads (${seen})`,
          'kubectl get lease config-watcher -n config-watcher; kubectl logs -n config-watcher deploy/config-watcher'));
      },
      expected: 'deployment "config-watcher" successfully rolled out; `kubectl get lease config-watcher -n config-watcher` names one of its pods as HOLDER',
      hint: 'The workshop image must be on the node: `npm run images` loads it into kind; `npm run cluster -- up --local --real-node` imports it into its real node.',
      solution: 'kubectl apply -f operator/config-watcher/manifests/rbac.yaml -f operator/config-watcher/manifests/deployment.yaml',
    },
  ],
  reset: resetOperatorLesson,
};

export default lesson;
