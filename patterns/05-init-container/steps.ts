// Lesson 5, init container: set-up work that must finish before the app starts — waiting for a
// dependency, preparing data — moves out of the app into containers that run first, in order.
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { appears, deploymentRolledOut, printed, readyPod, serviceRoutesTo, sharesEmptyDir } from '../checks.ts';
import { StepFailed, Deployments, Pods, Services, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';

const ns = 'init-container';
const manifests = 'patterns/05-init-container/manifests';
const initOrder = ['wait-for-database', 'prepare-content'];

const showLog = `kubectl logs -n ${ns} deploy/web -c wait-for-database --tail=3`;
const fetchPage = `kubectl exec -n ${ns} deploy/web -c app -- node -e "fetch('http://localhost:8080/content/index.html').then(r => r.text()).then(console.log)"`;

/** The web pod, whatever its state: where containers run, it is stuck in Init until the database is up. */
async function webPod(ctx: LessonContext): Promise<V1Pod> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  await appears(ctx, 'deployment web', () => ctx.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns }),
    `kubectl get deployments -n ${ns}`);
  return appears(ctx, 'a pod of deployment web', async () => {
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    return pods.items.find((p) => !p.metadata?.deletionTimestamp);
  }, `kubectl describe deployment web -n ${ns}`);
}

/** What the pod's STATUS column says while it initializes: Init:<completed>/<all>. */
function initStatus(pod: V1Pod): string {
  const done = (pod.status?.initContainerStatuses ?? []).filter((s) => s.state?.terminated?.exitCode === 0).length;
  return `Init:${done}/${pod.spec?.initContainers?.length ?? 0}`;
}

const lesson: Lesson = {
  id: ns,
  number: 5,
  title: 'Init Container',
  goal: 'Run set-up steps in order before the app starts: wait for a dependency, then prepare data in a shared volume.',
  dir: 'patterns/05-init-container',
  // A pod waits in its init containers before its main container starts: the pod rows show it.
  live: { kinds: [Deployments, Pods, Services] },
  steps: [
    namespaceStep(ns),
    {
      id: 'deploy-app',
      title: 'Deploy the app before its dependency',
      // No `rollout status` here: on a real cluster the pod waits, on purpose, until step 4.
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
        // The ReplicaSet creates the pod a moment after the apply; listing it sooner shows nothing.
        `kubectl wait --for=create pod -l app=web -n ${ns} --timeout=30s`,
        `kubectl get pods -n ${ns} -l app=web`,
      ],
      needs: 'any',
      async verify(ctx) {
        const pod = await webPod(ctx);
        const lookAt = `kubectl get pod ${pod.metadata?.name} -n ${ns} -o yaml`;
        const init = pod.spec?.initContainers ?? [];
        // Order is the contract: the kubelet runs init containers exactly as listed.
        if (init.map((c) => c.name).join() !== initOrder.join()) {
          throw new StepFailed(`init containers are [${init.map((c) => c.name).join(', ')}], expected [${initOrder.join(', ')}] in this order`, lookAt);
        }
        // restartPolicy: Always would make one a native sidecar that never "completes".
        if (init.some((c) => c.restartPolicy)) {
          throw new StepFailed('an init container here must run to completion, without restartPolicy', lookAt);
        }
        const mounts = sharesEmptyDir(ctx, pod, 'content', ['prepare-content', 'app']);
        return `pod ${pod.metadata?.name} runs the init containers ${initOrder.join(', then ')} before the app; ` +
          `prepare-content writes to ${mounts['prepare-content']}, the app reads ${mounts.app}, both the emptyDir content`;
      },
      expected: 'deployment.apps/web created, pod/web-… condition met; where containers run the pod shows STATUS Init:0/2 (Pending for its first moment) and stays so; on kwok\'s fake nodes init containers "complete" at once, so it shows Running',
      hint: 'Init containers are listed under spec.initContainers and run in that order.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
    },
    {
      id: 'waiting',
      title: 'Watch the pod wait for the database',
      commands: [
        `kubectl get pods -n ${ns} -l app=web`,
        // A log exists only once the container has started; right after the apply it may not have.
        `kubectl wait pod -n ${ns} -l app=web --for=jsonpath='{.status.initContainerStatuses[0].started}'=true --timeout=60s`,
        showLog,
      ],
      needs: 'containers',
      async verify(ctx) {
        const pod = await webPod(ctx);
        const initialized = pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status;
        if (initialized !== 'False') {
          throw new StepFailed(`the web pod should still be initializing while no database exists, but it is ${initStatus(pod)} and Initialized=${initialized}`,
            `kubectl describe pod -n ${ns} -l app=web`);
        }
        // A new line every two seconds: none within the check's few seconds means it is not retrying.
        const [line] = await printed(ctx, showLog, /waiting for database: (ENOTFOUND|EAI_AGAIN|ECONNREFUSED)/);
        const app = pod.status?.containerStatuses?.find((c) => c.name === 'app')?.state?.waiting?.reason ?? 'no status yet';
        return `pod ${pod.metadata?.name} is ${initStatus(pod)}, its app container not started (${app}); wait-for-database logs "${line}"`;
      },
      expected: 'STATUS Init:0/2; pod/web-… condition met; the log shows "waiting for database: EAI_AGAIN" (ENOTFOUND where DNS says "no such name"), one more line every two seconds',
      hint: 'Pick the init container\'s log with -c wait-for-database.',
      solution: showLog,
    },
    {
      id: 'database',
      title: 'Start the database and watch the pod continue',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/database.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
        showLog,
      ],
      // kwok reports init containers as exited with 0 at once, database or not: only the log of
      // a wait that really ended shows the pattern.
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'database');
        await appears(ctx, 'service database', () => ctx.kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'database', namespace: ns }),
          `kubectl get services -n ${ns}`);
        await serviceRoutesTo(ctx, 'database', 'app=database');
        await deploymentRolledOut(ctx, 'web');
        const pod = await readyPod(ctx, 'app=web');
        const statuses = pod.status?.initContainerStatuses ?? [];
        const done = statuses.filter((s) => s.state?.terminated?.exitCode === 0).map((s) => s.name);
        if (done.join() !== initOrder.join()) {
          throw new StepFailed(`init containers that completed with exit code 0: [${done.join(', ')}], expected [${initOrder.join(', ')}]`,
            `kubectl describe pod ${pod.metadata?.name} -n ${ns}`);
        }
        const [log] = await printed(ctx, showLog, /waiting for database: \w+\s+database is reachable/);
        return `pod ${pod.metadata?.name} is ready: ${initOrder.join(' and ')} exited with 0, in that order; wait-for-database's log ends "${log.replace(/\s*\n\s*/, '", then "')}"`;
      },
      expected: 'deployment.apps/database and service/database created; deployment "web" successfully rolled out within seconds; the log\'s last "waiting for database: …" line is followed by "database is reachable"',
      hint: 'Nothing needs restarting: the init container was retrying all along and now gets a connection.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/database.yaml`,
    },
    {
      id: 'prepared',
      title: 'Read the page the init container prepared',
      commands: [fetchPage],
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        const pod = await readyPod(ctx, 'app=web');
        const [page] = await printed(ctx, fetchPage, /<h1>Prepared by an init container at [\dT:.Z-]+<\/h1>/);
        return `the app of pod ${pod.metadata?.name} serves the page prepare-content wrote before it started: ${page}`;
      },
      expected: '<h1>Prepared by an init container at <the time the pod started></h1>',
      hint: 'The file lives in the pod\'s emptyDir, written by prepare-content before the app started.',
      solution: fetchPage,
    },
  ],
};

export default lesson;
