// Lesson 2, sidecar: a second container in the pod adds a capability (here: keeping the served
// files up to date) without changing the main container. First as two plain containers, then as
// a native sidecar, and what that changes for start order and for Jobs.
import { BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { appears, deploymentRolledOut, envIn, podTrouble, printed, readyPod, sharesEmptyDir } from '../checks.ts';
import { StepFailed, Deployments, Jobs, Pods, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'sidecar';
const manifests = 'patterns/02-sidecar/manifests';

/*
 * The image has node but no curl, so we ask the app container itself to fetch from localhost.
 * That is also the honest test: it is the app that must see the sidecar's files.
 */
const fetchPage = (deployment: string) =>
  `kubectl exec -n ${ns} deploy/${deployment} -c app -- node -e "fetch('http://localhost:8080/content/index.html').then(r => r.text()).then(console.log)"`;
/** What the Job printed: only a container that ran, after the sidecar's first sync, can have written it. */
const jobLog = `kubectl logs job/report -n ${ns} -c report`;
const syncedPage = /<h1>Version \d of the site, synced by a sidecar<\/h1>/;

/**
 * The contract between the two containers: both mount the emptyDir `content`, the sidecar writes
 * to where it is mounted (TARGET_DIR) and the app serves from where it is mounted (CONTENT_DIR).
 */
function checkContract(ctx: LessonContext, pod: V1Pod): string {
  const mounts = sharesEmptyDir(ctx, pod, 'content', ['app', 'content-sync']);
  const target = envIn(pod, 'content-sync', 'TARGET_DIR');
  const served = envIn(pod, 'app', 'CONTENT_DIR');
  if (target !== mounts['content-sync'] || served !== mounts.app) {
    throw new StepFailed(
      `content-sync writes to ${target} (volume at ${mounts['content-sync']}), the app serves ${served} (volume at ${mounts.app})`,
      `kubectl get pod ${pod.metadata?.name} -n ${ns} -o yaml`);
  }
  return `content-sync writes to ${target} and the app serves ${served}: the same emptyDir content`;
}

/** Restarts of the pod's containers: a page that changes while this stays 0 changed without a restart. */
const restarts = (pod: V1Pod) => (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0);

const lesson: Lesson = {
  id: ns,
  number: 2,
  title: 'Sidecar',
  goal: 'Extend a container with a helper container that shares its pod, and run that helper as a native sidecar.',
  dir: 'patterns/02-sidecar',
  // A sidecar is a second container: the pod rows count ready containers.
  live: { kinds: [Deployments, Pods, Jobs] },
  steps: [
    namespaceStep(ns),
    {
      id: 'two-containers',
      title: 'Run a web server with a content-sync sidecar',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/content.yaml`,
        `kubectl apply -n ${ns} -f ${manifests}/web.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
        `kubectl get pods -n ${ns} -l app=web`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        const pod = await readyPod(ctx, 'app=web');
        const names = pod.spec?.containers.map((c) => c.name).join() ?? '';
        if (names !== 'app,content-sync') {
          throw new StepFailed(`the web pod runs containers [${names}], expected [app,content-sync]`, `kubectl get pod -n ${ns} -l app=web -o yaml`);
        }
        return `pod ${pod.metadata?.name} is ready with both containers, app and content-sync; ${checkContract(ctx, pod)}`;
      },
      expected: 'configmap/site-content created, deployment.apps/web created, deployment "web" successfully rolled out; the web pod shows READY 2/2',
      hint: 'The ConfigMap must exist before the pod can mount it, so apply content.yaml first.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/content.yaml -f ${manifests}/web.yaml`,
    },
    {
      id: 'serve-synced',
      title: 'Fetch the synced page from the app',
      commands: [fetchPage('web')],
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        // The sidecar copies at once when it starts, so a page still missing after a few seconds
        // is a broken contract, not a slow sync.
        const [page] = await printed(ctx, fetchPage('web'), syncedPage);
        return `the app serves the page content-sync copied: ${page}`;
      },
      expected: '<h1>Version 1 of the site, synced by a sidecar</h1>',
      hint: 'A 404 right after the rollout means the first sync has not landed yet; try again in a few seconds.',
      solution: fetchPage('web'),
    },
    {
      id: 'update-source',
      title: 'Change the source and watch the page follow',
      commands: [
        `kubectl patch configmap site-content -n ${ns} --type merge -p '{"data":{"index.html":"<h1>Version 2 of the site, synced by a sidecar</h1>\\n"}}'`,
        fetchPage('web'),
      ],
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        const before = await readyPod(ctx, 'app=web');
        // A genuine wait, of up to three minutes: the kubelet refreshes a mounted ConfigMap within
        // about a minute, then the sidecar copies it at its next interval.
        ctx.progress('the kubelet refreshes the mounted ConfigMap within a minute or two; fetching the page until it changes');
        const [page] = await printed(ctx, fetchPage('web'), /<h1>Version 2 of the site, synced by a sidecar<\/h1>/, 180_000);
        const after = await readyPod(ctx, 'app=web');
        if (after.metadata?.name !== before.metadata?.name || restarts(after) > 0) {
          throw new StepFailed(`the page changed, but so did the pod (now ${after.metadata?.name}, ${restarts(after)} restarts): it should have followed without a restart`,
            `kubectl get pods -n ${ns} -l app=web`);
        }
        return `the app now serves ${page}; pod ${after.metadata?.name} is the same, with 0 restarts`;
      },
      expected: 'configmap/site-content patched; the fetch right after it usually still prints Version 1, and within a minute or two the same fetch prints <h1>Version 2 of the site, synced by a sidecar</h1>, from the same pod, never restarted',
      hint: 'Run the fetch again after a while: the ConfigMap volume is refreshed by the kubelet periodically, not at once.',
      solution: fetchPage('web'),
    },
    {
      id: 'native-sidecar',
      title: 'Declare the sidecar as a native sidecar',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/web-native.yaml`,
        `kubectl rollout status deployment/web-native -n ${ns} --timeout=2m`,
        `kubectl get pods -n ${ns} -l app=web-native`,
        fetchPage('web-native'),
      ],
      // kwok reports any init container as running; only a real kubelet keeps the sidecar
      // running beside the app, and only then does the app have a synced page to serve.
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web-native');
        const pod = await readyPod(ctx, 'app=web-native');
        const sidecar = pod.spec?.initContainers?.find((c) => c.name === 'content-sync');
        if (sidecar?.restartPolicy !== 'Always' || !sidecar.startupProbe) {
          throw new StepFailed('content-sync should be an init container with restartPolicy: Always and a startup probe',
            `kubectl get pod -n ${ns} -l app=web-native -o jsonpath='{.items[0].spec.initContainers}'`);
        }
        const contract = checkContract(ctx, pod);
        // Unlike a classic init container, it is still running after the pod became ready.
        const state = pod.status?.initContainerStatuses?.find((s) => s.name === 'content-sync')?.state;
        if (!state?.running) {
          throw new StepFailed('the native sidecar content-sync is not running beside the app',
            `kubectl describe pod -n ${ns} -l app=web-native`);
        }
        // The startup probe held the app back until the first sync: the page is there at once.
        const [page] = await printed(ctx, fetchPage('web-native'), syncedPage);
        return `pod ${pod.metadata?.name}: content-sync is an init container with restartPolicy Always, still running beside the app; ${contract}; the app serves ${page}`;
      },
      expected: 'deployment "web-native" successfully rolled out; its pod shows READY 2/2 although it has only one regular container, and the app serves <h1>Version 2 of the site, synced by a sidecar</h1> (the ConfigMap as step 4 left it)',
      hint: 'A native sidecar is an entry in initContainers with restartPolicy: Always.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/web-native.yaml`,
    },
    {
      id: 'job-completes',
      title: 'Run a Job to completion beside a native sidecar',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/job.yaml`,
        `kubectl wait --for=condition=complete job/report -n ${ns} --timeout=2m`,
        jobLog,
      ],
      // On kwok the Job "completes" within a second whatever its pod holds, even a plain sidecar
      // that a real kubelet would keep running forever. The page in the log is the evidence.
      needs: 'containers',
      async verify(ctx) {
        const batch = ctx.kc.makeApiClient(BatchV1Api);
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const lookAt = `kubectl describe job report -n ${ns}; kubectl get pods -n ${ns} -l job-name=report`;
        await appears(ctx, 'job report', () => batch.readNamespacedJob({ name: 'report', namespace: ns }), `kubectl get jobs -n ${ns}`);
        // Its pod starts the sidecar, waits for the first sync, then runs report: a few seconds.
        await waitFor(async () => {
          const job = await batch.readNamespacedJob({ name: 'report', namespace: ns });
          const trouble = await podTrouble(ctx, 'job-name=report');
          if (trouble) throw new StepFailed(`job report cannot run: ${trouble}`, lookAt);
          const complete = job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
          if (!complete) ctx.progress(`waiting for job report to complete: ${job.status?.active ?? 0} active, ${job.status?.failed ?? 0} failed pods`);
          return complete ? true : undefined;
        }, () => new StepFailed('job report has not completed within 60 s', lookAt));
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=report' });
        const succeeded = pods.items.find((p) => p.status?.phase === 'Succeeded');
        if (!succeeded) throw new StepFailed('the Job is complete but none of its pods succeeded', lookAt);
        const [page] = await printed(ctx, jobLog, syncedPage);
        return `job report is complete, pod ${succeeded.metadata?.name} succeeded, and report printed the synced page: ${page}`;
      },
      expected: 'job.batch/report created, job.batch/report condition met; its log is the synced page, <h1>Version 2 of the site, synced by a sidecar</h1>',
      hint: 'The Job completes because its sidecar is an init container with restartPolicy: Always; a plain second container would keep the pod running.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/job.yaml`,
    },
  ],
};

export default lesson;
