// Lesson 4, ambassador: the app talks to a local proxy in its own pod, and the proxy knows how to
// reach the real backend. Changing backends then means reconfiguring the proxy, not the app.
import { CoreV1Api } from '@kubernetes/client-node';
import { appears, deploymentRolledOut, envIn, printed, readyPod, serviceRoutesTo } from '../checks.ts';
import { StepFailed, Deployments, Pods, Services, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';

const ns = 'ambassador';
const manifests = 'patterns/04-ambassador/manifests';

// The app's /backend route calls BACKEND_URL and passes the answer on: the backend's /info.
const callBackend = `kubectl exec -n ${ns} deploy/web -c app -- node -e "fetch('http://localhost:8080/backend').then(r => r.text()).then(console.log)"`;

/**
 * The app's call through the ambassador was answered by `backend`: its /info names the version
 * and the hostname, which is the pod's name (the backends set no POD_NAME, so "pod" says
 * unknown). Only a running backend can report them.
 */
async function answeredBy(ctx: LessonContext, backend: string): Promise<string> {
  await deploymentRolledOut(ctx, 'web');
  const [answer, pod] = await printed(ctx, callBackend, new RegExp(`\\{"version":"${backend}","pod":"[^"]*","hostname":"([^"]+)"\\}`));
  return `the app called localhost:9000 and ${backend}'s pod ${pod} answered: ${answer}`;
}

/** The pod's current wiring: where the app sends its calls, and where the ambassador forwards them. */
async function wiring(ctx: LessonContext) {
  const pod = await readyPod(ctx, 'app=web');
  return {
    pod,
    backendUrl: envIn(pod, 'app', 'BACKEND_URL'),
    listenPort: envIn(pod, 'ambassador', 'LISTEN_PORT'),
    target: envIn(pod, 'ambassador', 'TARGET_URL'),
  };
}

/** The app container is configured for localhost only; the real backend is the ambassador's business. */
async function checkWiring(ctx: LessonContext, expectedTarget: string): Promise<string> {
  const w = await wiring(ctx);
  const lookAt = `kubectl get pod ${w.pod.metadata?.name} -n ${ns} -o yaml`;
  if (w.backendUrl !== `http://localhost:${w.listenPort}/info`) {
    throw new StepFailed(`the app calls ${w.backendUrl}, but the ambassador listens on localhost:${w.listenPort}`, lookAt);
  }
  if (w.target !== expectedTarget) {
    throw new StepFailed(`the ambassador forwards to ${w.target}, expected ${expectedTarget}`, lookAt);
  }
  return `in pod ${w.pod.metadata?.name} the app calls ${w.backendUrl}, where the ambassador listens and forwards to ${w.target}`;
}

const lesson: Lesson = {
  id: ns,
  number: 4,
  title: 'Ambassador',
  goal: 'Hide how a backend is reached behind a proxy container in the pod, and switch backends without touching the app.',
  dir: 'patterns/04-ambassador',
  live: { kinds: [Deployments, Pods, Services] },
  steps: [
    namespaceStep(ns),
    {
      id: 'backends',
      title: 'Start two backends',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/backends.yaml`,
        `kubectl rollout status deployment/backend-a -n ${ns} --timeout=2m`,
        `kubectl rollout status deployment/backend-b -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const seen: string[] = [];
        for (const backend of ['backend-a', 'backend-b']) {
          await deploymentRolledOut(ctx, backend);
          await appears(ctx, `service ${backend}`, () => core.readNamespacedService({ name: backend, namespace: ns }), `kubectl get services -n ${ns}`);
          seen.push(`service ${backend} routes to its pod ${(await serviceRoutesTo(ctx, backend, `app=${backend}`)).join(', ')}`);
        }
        return seen.join('; ');
      },
      expected: 'deployment.apps/backend-a, service/backend-a, deployment.apps/backend-b and service/backend-b created; both Deployments successfully rolled out',
      hint: 'One file holds both Deployments and both Services.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/backends.yaml`,
    },
    {
      id: 'deploy',
      title: 'Run the app with its ambassador',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        return checkWiring(ctx, 'http://backend-a');
      },
      expected: 'deployment.apps/web created, then deployment "web" successfully rolled out: one pod with the containers app and ambassador',
      hint: 'BACKEND_URL of the app must point at the ambassador\'s LISTEN_PORT on localhost.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
    },
    {
      id: 'call-a',
      title: 'Call the backend through the ambassador',
      commands: [callBackend],
      needs: 'containers',
      verify: (ctx) => answeredBy(ctx, 'backend-a'),
      expected: '{"version":"backend-a","pod":"unknown","hostname":"backend-a-…"}: the app called localhost:9000 and backend-a answered',
      hint: 'A 502 from the app names the URL it could not reach; check that the ambassador container is running.',
      solution: callBackend,
    },
    {
      id: 'swap',
      title: 'Swap the backend without touching the app',
      commands: [
        `kubectl set env deployment/web -n ${ns} -c ambassador TARGET_URL=http://backend-b`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'web');
        // The app's settings are exactly those it was deployed with; only the ambassador changed.
        return checkWiring(ctx, 'http://backend-b');
      },
      expected: 'deployment.apps/web env updated; rollout status waits while the old pod goes and the new one starts, then deployment "web" successfully rolled out: a new web pod whose ambassador forwards to http://backend-b; the app container\'s image and env are unchanged',
      hint: 'kubectl set env takes -c to pick the container to change.',
      solution: `kubectl set env deployment/web -n ${ns} -c ambassador TARGET_URL=http://backend-b`,
    },
    {
      id: 'call-b',
      title: 'Call the same URL again',
      commands: [callBackend],
      needs: 'containers',
      verify: (ctx) => answeredBy(ctx, 'backend-b'),
      expected: '{"version":"backend-b","pod":"unknown","hostname":"backend-b-…"}: same command, same app configuration, another backend',
      hint: 'If you still see backend-a, the rollout of the new pod has not finished yet: kubectl rollout status deployment/web -n ambassador.',
      solution: callBackend,
    },
  ],
};

export default lesson;
