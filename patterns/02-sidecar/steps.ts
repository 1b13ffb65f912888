// Lesson 2, sidecar: a second container in the pod adds a capability (here: keeping the served
// files up to date) without changing the main container. First as two plain containers, then as
// a native sidecar, and what that changes for start order and for Jobs.
import { BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { deploymentRolledOut, envIn, outputMatches, readyPod, sharesEmptyDir } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
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
const syncedPage = /Version \d of the site, synced by a sidecar/;

/**
 * The contract between the two containers: both mount the emptyDir `content`, the sidecar writes
 * to where it is mounted (TARGET_DIR) and the app serves from where it is mounted (CONTENT_DIR).
 */
function checkContract(ctx: LessonContext, pod: V1Pod): void {
  const mounts = sharesEmptyDir(ctx, pod, 'content', ['app', 'content-sync']);
  const target = envIn(pod, 'content-sync', 'TARGET_DIR');
  const served = envIn(pod, 'app', 'CONTENT_DIR');
  if (target !== mounts['content-sync'] || served !== mounts.app) {
    throw new StepFailed(
      `content-sync writes to ${target} (volume at ${mounts['content-sync']}), the app serves ${served} (volume at ${mounts.app})`,
      `kubectl get pod ${pod.metadata?.name} -n ${ns} -o yaml`);
  }
}

const lesson: Lesson = {
  id: ns,
  number: 2,
  title: 'Sidecar',
  goal: 'Extend a container with a helper container that shares its pod, and run that helper as a native sidecar.',
  dir: 'patterns/02-sidecar',
  steps: [
    namespaceStep(ns),
    {
      id: 'two-containers',
      title: 'Run a web server with a content-sync sidecar',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/content.yaml`,
        `kubectl apply -n ${ns} -f ${manifests}/web.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        const pod = await readyPod(ctx, 'app=web');
        const names = pod.spec?.containers.map((c) => c.name).join() ?? '';
        if (names !== 'app,content-sync') {
          throw new StepFailed(`the web pod runs containers [${names}], expected [app,content-sync]`, `kubectl get pod -n ${ns} -l app=web -o yaml`);
        }
        checkContract(ctx, pod);
      },
      expected: 'deployment "web" successfully rolled out; its pod shows READY 2/2',
      hint: 'The ConfigMap must exist before the pod can mount it, so apply content.yaml first.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/content.yaml -f ${manifests}/web.yaml`,
    },
    {
      id: 'serve-synced',
      title: 'Fetch the synced page from the app',
      commands: [fetchPage('web')],
      needs: 'containers',
      async verify(ctx) {
        await outputMatches(ctx, fetchPage('web'), /Version 1 of the site/);
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
        // Two delays add up: the kubelet refreshes a mounted ConfigMap within about a minute,
        // then the sidecar copies it at its next interval.
        await outputMatches(ctx, fetchPage('web'), /Version 2 of the site/, 180_000);
      },
      expected: 'after up to a minute or two, the same fetch prints Version 2, and the pod was never restarted',
      hint: 'Run the fetch again after a while: the ConfigMap volume is refreshed by the kubelet periodically, not at once.',
      solution: fetchPage('web'),
    },
    {
      id: 'native-sidecar',
      title: 'Declare the sidecar as a native sidecar',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/web-native.yaml`,
        `kubectl rollout status deployment/web-native -n ${ns} --timeout=2m`,
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
        checkContract(ctx, pod);
        // Unlike a classic init container, it is still running after the pod became ready.
        const state = pod.status?.initContainerStatuses?.find((s) => s.name === 'content-sync')?.state;
        if (!state?.running) {
          throw new StepFailed('the native sidecar content-sync is not running beside the app',
            `kubectl describe pod -n ${ns} -l app=web-native`);
        }
        await outputMatches(ctx, fetchPage('web-native'), syncedPage);
      },
      expected: 'the pod shows READY 2/2 although it lists only one regular container; content-sync appears under Init Containers, still running, and the app serves the synced page',
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
        await waitFor(async () => {
          const job = await batch.readNamespacedJob({ name: 'report', namespace: ns }).catch(() => undefined);
          return job?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? true : undefined;
        }, () => new StepFailed('job report has not completed', lookAt));
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=report' });
        if (!pods.items.some((p) => p.status?.phase === 'Succeeded')) {
          throw new StepFailed('the Job is complete but none of its pods succeeded', lookAt);
        }
        await outputMatches(ctx, jobLog, syncedPage);
      },
      expected: 'job.batch/report condition met; its log is the synced page, <h1>Version 2 of the site, synced by a sidecar</h1>',
      hint: 'The Job completes because its sidecar is an init container with restartPolicy: Always; a plain second container would keep the pod running.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/job.yaml`,
    },
  ],
};

export default lesson;
