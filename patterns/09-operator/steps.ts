// Lesson 9, operator: the controller of lesson 8 grown into an operator. Its configuration
// moves from an annotation into a custom resource with a schema, validation, status, Events
// and a finalizer — the API a team would expect from anything it installs into a cluster.
import { ApiextensionsV1Api, AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { configHash, FINALIZER, GROUP, hashAnnotation, PLURAL, VERSION, type ConfigWatcher } from '../../operator/config-watcher/config-watcher.ts';
import { apiError } from '../../operator/runtime/api-error.ts';
import { removeFinalizer } from '../../operator/runtime/finalizers.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { appears, deploymentRolledOut, MISSING_AFTER_MS } from '../checks.ts';
import { StepFailed, ConfigMaps, Deployments, Pods, type Lesson, type LessonContext, type Program } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'operator';
const manifests = 'patterns/09-operator/manifests';
const crd = 'operator/config-watcher/manifests/crd.yaml';
const patch = `kubectl patch configmap web-config -n ${ns} --type merge -p '{"data":{"GREETING":"Hi"}}'`;
const invalid = `kubectl apply -n ${ns} -f ${manifests}/invalid-watcher.yaml`;
const emptySelectorMessage = 'spec.podSelector must name at least one label';
/** The pod-template annotation the operator writes for web-watcher, as a kubectl JSONPath. */
const annotationPath = `{.spec.template.metadata.annotations.${hashAnnotation({ metadata: { name: 'web-watcher' } }).replaceAll('.', '\\.')}}`;

// Runs in a second terminal until Ctrl-C. scripts/operator.ts prints "config-watcher: running"
// once the CRD is installed and the caches are filled.
const operator: Program = { terminal: 'operator', start: `npm run operator -- config-watcher --namespace ${ns}`, ready: /^config-watcher: running/m };

const watchers = (ctx: LessonContext) => ctx.kc.makeApiClient(CustomObjectsApi);
const readWatcher = (ctx: LessonContext, name: string) => watchers(ctx)
  .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })
  .then((o) => o as ConfigWatcher, () => undefined);
const listWatchers = (ctx: LessonContext) => watchers(ctx)
  .listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
  .then((l) => (l as { items: ConfigWatcher[] }).items, () => []);

/** The API's answer to creating the invalid watcher, asked as a dry run so nothing is stored. */
async function rejection(ctx: LessonContext): Promise<string> {
  const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'ConfigWatcher', metadata: { name: 'everything-watcher' }, spec: { configMap: 'web-config', podSelector: {} } };
  return watchers(ctx).createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body, dryRun: 'All' })
    .then(() => 'accepted', (e: unknown) => apiError(e).message);
}

/** web-watcher, once it exists; a few seconds without it means it was never created, or is deleted already. */
const webWatcher = (ctx: LessonContext) => appears(ctx, 'configwatcher web-watcher', () => readWatcher(ctx, 'web-watcher'), `kubectl get cw -n ${ns}`);

/**
 * A run that stopped half-way leaves ConfigWatchers holding a finalizer that only the operator
 * removes; it is stopped by now, so deleting the namespace would wait forever. The in-cluster
 * operator of the last step goes first: it watches every namespace and would add the finalizer
 * again. Then the finalizers are removed by hand — what the lesson says to do when an operator
 * is gone for good. The Deployments keep the operator's annotation, but they go with the namespace.
 */
async function resetOperatorLesson(ctx: LessonContext): Promise<void> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const gone = () => core.readNamespace({ name: 'config-watcher' }).then(() => undefined, () => true);
  if (!(await gone())) {
    await core.deleteNamespace({ name: 'config-watcher' });
    await waitFor(gone, () => new Error('namespace config-watcher of the in-cluster operator was not deleted within 120 s'), 120_000);
  }
  const client = new KubeClient(ctx.kc);
  try {
    for (const w of await listWatchers(ctx)) {
      await removeFinalizer(client, { apiVersion: `${GROUP}/${VERSION}`, kind: 'ConfigWatcher', ...w }, FINALIZER);
    }
  } finally {
    client.close();
  }
}

const lesson: Lesson = {
  id: ns,
  number: 9,
  title: 'Operator',
  goal: 'Turn a controller into an operator with its own validated resource, status, Events and finalizer.',
  dir: 'patterns/09-operator',
  live: { kinds: [{ apiVersion: 'k8spatterns.com/v1', kind: 'ConfigWatcher' }, ConfigMaps, Deployments, Pods] },
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
        const extensions = ctx.kc.makeApiClient(ApiextensionsV1Api);
        let seen = 'not installed';
        const found = await waitFor(async () => {
          const c = await extensions.readCustomResourceDefinition({ name: 'configwatchers.k8spatterns.com' }).catch(() => undefined);
          if (c) seen = 'installed, not yet established';
          return c?.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ? c : undefined;
        }, () => new StepFailed(`the ConfigWatcher CRD is ${seen}`, 'kubectl get crd configwatchers.k8spatterns.com -o yaml'), MISSING_AFTER_MS);
        const names = found.spec.names;
        return `CRD ${found.metadata?.name} is established: kind ${names.kind}, plural ${names.plural}, short name ${names.shortNames?.join(', ')}`;
      },
      expected: 'customresourcedefinition.apiextensions.k8s.io/configwatchers.k8spatterns.com created, then condition met; `kubectl get cw` now works',
      hint: 'A CRD is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${crd}`,
    },
    {
      id: 'validation',
      title: 'Let the API server reject a bad ConfigWatcher',
      commands: [{ fails: invalid }],
      needs: 'any',
      // The command is meant to fail; the lesson is the message it prints. When it just ran here,
      // that message is what the check reads; otherwise it asks the API the same question as a dry run.
      async verify(ctx) {
        const message = ctx.output ?? await rejection(ctx);
        const lookAt = `kubectl get crd configwatchers.k8spatterns.com -o yaml | grep -A3 x-kubernetes-validations`;
        if (!message.includes(emptySelectorMessage)) {
          throw new StepFailed(`expected the API server to refuse an empty podSelector with "${emptySelectorMessage}", it said: ${message.trim() || '(nothing)'}`, lookAt);
        }
        if (await readWatcher(ctx, 'everything-watcher')) {
          throw new StepFailed('configwatcher everything-watcher was stored although it is invalid', `kubectl get cw everything-watcher -n ${ns} -o yaml`);
        }
        const line = message.split('\n').find((l) => l.includes(emptySelectorMessage))!.trim();
        return `the API server refused everything-watcher and stored nothing: ${line}`;
      },
      expected: `The ConfigWatcher "everything-watcher" is invalid: spec.podSelector: Invalid value: "object": ${emptySelectorMessage}`,
      hint: 'This command is supposed to fail: read the message the API server gives.',
      solution: `${invalid}   # fails, by design`,
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
        const rollout = await deploymentRolledOut(ctx, 'web');
        const watcher = await webWatcher(ctx);
        return `${rollout}; configwatcher web-watcher watches ConfigMap ${watcher.spec.configMap} for pods with ${JSON.stringify(watcher.spec.podSelector)}`;
      },
      expected: 'configmap/web-config, deployment.apps/web and configwatcher.k8spatterns.com/web-watcher created; deployment "web" successfully rolled out',
      hint: 'kubectl apply takes several -f flags.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml -f ${manifests}/watcher.yaml`,
    },
    {
      id: 'start-operator',
      title: 'Start the operator',
      commands: [
        operator,
        `kubectl wait --for condition=Ready configwatcher/web-watcher -n ${ns} --timeout=60s`,
        `kubectl get cw -n ${ns}`,
      ],
      needs: 'any',
      // The operator acts within a second of starting: 15 s without a Ready condition means it does not run.
      async verify(ctx) {
        let seen = 'no status yet';
        const watcher = await waitFor(async () => {
          const w = await webWatcher(ctx);
          const ready = w.status?.conditions?.find((c) => c.type === 'Ready');
          seen = ready ? `Ready=${ready.status} (${ready.reason}: ${ready.message})` : seen;
          const done = ready?.status === 'True' && w.status?.observedGeneration === w.metadata?.generation && w.metadata?.finalizers?.includes(FINALIZER);
          if (!done) ctx.progress(`waiting for the operator to report web-watcher Ready: ${seen}`);
          return done ? w : undefined;
        }, () => new StepFailed(`web-watcher is not reported Ready with the finalizer (${seen}); is the operator running? (npm run lesson -- status)`,
          `kubectl get cw web-watcher -n ${ns} -o yaml`), MISSING_AFTER_MS);
        // The operator's first lines, when it was started just now: it says when its caches are filled.
        const synced = ctx.output?.match(/caches synced: .*/)?.[0];
        return `web-watcher holds the finalizer ${FINALIZER} and is Ready: ${findReady(watcher)}` +
          (synced ? `; the operator logged "${synced}"` : '');
      },
      expected: 'the operator logs "caches synced: 1 ConfigWatcher, 1 ConfigMap, 1 Deployment", then config-watcher: running; `kubectl get cw` shows web-watcher with READY True and REASON UpToDate',
      hint: 'The operator runs outside the cluster, with your kubeconfig; keep its terminal open.',
      solution: operator.start,
    },
    {
      id: 'change-config',
      title: 'Change the configuration',
      commands: [
        patch,
        `kubectl wait deployment/web -n ${ns} --for=jsonpath='${annotationPath}' --timeout=60s`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
        `kubectl get events -n ${ns} --field-selector involvedObject.kind=ConfigWatcher`,
      ],
      needs: 'any',
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const apps = ctx.kc.makeApiClient(AppsV1Api);
        const key = hashAnnotation({ metadata: { name: 'web-watcher' } });
        const lookAt = `kubectl get deployment web -n ${ns} -o jsonpath='{.spec.template.metadata.annotations}'; kubectl get events -n ${ns}`;
        let seen = '';
        // The operator rolls web within a second of the change; 15 s without it means nobody acts.
        const hash = await waitFor(async () => {
          const cm = await core.readNamespacedConfigMap({ name: 'web-config', namespace: ns });
          if (cm.data?.GREETING !== 'Hi') throw new StepFailed(`web-config's GREETING is "${cm.data?.GREETING}", expected "Hi": run this step's kubectl patch`, `kubectl get configmap web-config -n ${ns} -o yaml`);
          const web = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
          const want = configHash(cm.data, cm.binaryData);
          const has = web.spec?.template.metadata?.annotations?.[key];
          seen = has ? `data ${has.slice(0, 12)}, not ${want.slice(0, 12)}` : 'no annotation';
          if (has !== want) ctx.progress(`waiting for the operator to roll web for the new data: its pod template has ${seen}`);
          return has === want ? want : undefined;
        }, () => new StepFailed(`the web pods were not rolled for the new data (${seen}); is the operator running? (npm run lesson -- status)`, lookAt), MISSING_AFTER_MS);
        const rollout = await deploymentRolledOut(ctx, 'web');
        const event = await waitFor(async () => {
          const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=ConfigWatcher,involvedObject.name=web-watcher' });
          return events.items.find((e) => e.reason === 'RolloutRestarted');
        }, () => new StepFailed('no RolloutRestarted Event was recorded for web-watcher', `kubectl get events -n ${ns}`), MISSING_AFTER_MS);
        return `web's pod template carries ${key}=${hash.slice(0, 12)}…; ${rollout}; Event RolloutRestarted: ${event.message}`;
      },
      expected: 'the annotation appears on web\'s pod template, the web pods are replaced, and a Normal RolloutRestarted event names the ConfigWatcher',
      hint: 'The operator must still be running in its terminal.',
      solution: patch,
    },
    {
      id: 'delete-watcher',
      title: 'Delete the ConfigWatcher',
      commands: [`kubectl delete configwatcher web-watcher -n ${ns} --timeout=60s`],
      needs: 'any',
      async verify(ctx) {
        let left: ConfigWatcher | undefined;
        await waitFor(async () => {
          left = await readWatcher(ctx, 'web-watcher');
          if (left) ctx.progress(`waiting for web-watcher to go: ${left.metadata?.deletionTimestamp ? `held by [${left.metadata.finalizers?.join(', ')}]` : 'not being deleted'}`);
          return left ? undefined : true;
        }, () => new StepFailed(left?.metadata?.deletionTimestamp
          ? `web-watcher is being deleted but still held by [${left.metadata.finalizers?.join(', ')}]: is the operator running? (npm run lesson -- status)`
          : 'web-watcher still exists and is not being deleted: run this step\'s kubectl delete', `kubectl get cw web-watcher -n ${ns} -o yaml`), MISSING_AFTER_MS);
        const web = await ctx.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns });
        const key = hashAnnotation({ metadata: { name: 'web-watcher' } });
        if (web.spec?.template.metadata?.annotations?.[key] !== undefined) {
          throw new StepFailed(`web-watcher is gone, but Deployment web still carries its annotation ${key}`, `kubectl get deployment web -n ${ns} -o jsonpath='{.spec.template.metadata.annotations}'`);
        }
        return `web-watcher is deleted, and Deployment web no longer carries its annotation ${key}`;
      },
      expected: 'configwatcher "web-watcher" deleted, after the operator removed its annotation from the Deployment and then its finalizer',
      hint: 'Deletion waits for the finalizer; the operator removes it once its cleanup is done.',
      solution: `kubectl delete configwatcher web-watcher -n ${ns}`,
    },
    {
      id: 'in-cluster',
      title: 'Run the operator inside the cluster',
      commands: [
        { stop: operator.terminal },
        'kubectl apply -f operator/config-watcher/manifests/rbac.yaml -f operator/config-watcher/manifests/deployment.yaml',
        'kubectl rollout status deployment/config-watcher -n config-watcher --timeout=2m',
      ],
      needs: 'containers',
      // kwok reports the pods ready without running them. The Lease is written only by an
      // operator process that runs, under its pod's name: that is the evidence.
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const leases = ctx.kc.makeApiClient(CoordinationV1Api);
        let seen = 'no lease';
        const since = Date.now();
        const holder = await waitFor(async () => {
          const holder = await leases.readNamespacedLease({ name: 'config-watcher', namespace: 'config-watcher' })
            .then((l) => l.spec?.holderIdentity, () => undefined);
          const pods = (await core.listNamespacedPod({ namespace: 'config-watcher', labelSelector: 'app=config-watcher' })).items.map((p) => p.metadata?.name);
          if (!pods.length && Date.now() - since > MISSING_AFTER_MS) {
            throw new StepFailed('no config-watcher pods exist in namespace config-watcher', 'kubectl get deployments,pods -n config-watcher');
          }
          seen = `lease held by ${holder ?? 'nobody'}, pods [${pods.join(', ')}]`;
          const leads = holder && pods.includes(holder);
          if (!leads) ctx.progress(`waiting for a config-watcher pod to take the lease (leader election): ${seen}`);
          return leads ? holder : undefined;
        }, () => new StepFailed(`no config-watcher pod leads (${seen})`,
          'kubectl get lease config-watcher -n config-watcher; kubectl logs -n config-watcher deploy/config-watcher'));
        return `the in-cluster operator runs: its pod ${holder} holds the Lease config-watcher`;
      },
      expected: 'the local operator stops (Ctrl-C); deployment "config-watcher" successfully rolled out; `kubectl get lease config-watcher -n config-watcher` names one of its pods as HOLDER',
      hint: 'The workshop image must be on the node: `npm run images` loads it into kind; `npm run cluster -- up --local --real-node` imports it into its real node.',
      solution: 'kubectl apply -f operator/config-watcher/manifests/rbac.yaml -f operator/config-watcher/manifests/deployment.yaml',
    },
  ],
  reset: resetOperatorLesson,
};

/** The Ready condition as one phrase: "UpToDate: Pods follow ConfigMap web-config (data 1a2b…)". */
function findReady(watcher: ConfigWatcher): string {
  const ready = watcher.status?.conditions?.find((c) => c.type === 'Ready');
  return `${ready?.reason}: ${ready?.message}`;
}

export default lesson;
