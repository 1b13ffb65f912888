// Lesson 8, controller: restart pods when their ConfigMap changes. First as a naive watch loop,
// which loses a change made while it is down; then as a controller that compares desired and
// actual state on every reconcile, and so cannot lose it.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { CONFIG_HASH, dataHash } from '../../operator/config-map-controller/restart.ts';
import { deploymentRolledOut, MISSING_AFTER_MS } from '../checks.ts';
import { StepFailed, ConfigMaps, Deployments, Pods, ReplicaSets, type Lesson, type LessonContext, type Program } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'controller';
const manifests = 'patterns/08-controller/manifests';
const patch = (greeting: string) =>
  `kubectl patch configmap web-config -n ${ns} --type merge -p '{"data":{"GREETING":"${greeting}"}}'`;

// Each runs in a terminal of its own until Ctrl-C; scripts/operator.ts prints "<name>: running" once
// the watch is open (the loop) or the caches are filled (the controller).
const naiveLoop: Program = { terminal: 'naive-loop', start: `npm run operator -- naive-loop --namespace ${ns}`, ready: /^naive-loop: running/m };
const controller: Program = { terminal: 'controller', start: `npm run operator -- config-map-controller --namespace ${ns}`, ready: /^config-map-controller: running/m };

/** The greetings the lesson sets, by the hash the restart code writes for each. */
const greetingOf = (hash: string | undefined) => hash === undefined ? 'Hello (never restarted)'
  : ['Hello', 'Hi', 'Howdy'].find((g) => dataHash({ data: { GREETING: g } }) === hash) ?? `unknown data (hash ${hash.slice(0, 8)})`;

/** What web-config says now, and which data the web pods were (re)started with. */
async function greetings(ctx: LessonContext): Promise<{ want: string; running: string; current: boolean }> {
  const lookAt = `kubectl get configmap,deployment -n ${ns}`;
  const cm = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'web-config', namespace: ns })
    .catch(() => { throw new StepFailed(`configmap web-config does not exist in namespace ${ns}`, lookAt); });
  const web = await ctx.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns })
    .catch(() => { throw new StepFailed(`deployment web does not exist in namespace ${ns}`, lookAt); });
  const running = web.spec?.template.metadata?.annotations?.[CONFIG_HASH];
  return { want: cm.data?.GREETING ?? '', running: greetingOf(running), current: running === dataHash(cm) };
}

/** web-config says `greeting`; the step's patch is what sets it. */
async function configSays(ctx: LessonContext, greeting: string): Promise<void> {
  const { want } = await greetings(ctx);
  if (want !== greeting) {
    throw new StepFailed(`web-config's GREETING is "${want}", expected "${greeting}": run this step's kubectl patch`, `kubectl get configmap web-config -n ${ns} -o yaml`);
  }
}

/**
 * Waits until the web pods run the ConfigMap's current data. Whoever restarts them does so within
 * a second of the change, so some seconds without it mean nobody is: the program is not running.
 */
async function podsRunCurrentConfig(ctx: LessonContext, who: string): Promise<string> {
  let seen = await greetings(ctx);
  await waitFor(async () => {
    seen = await greetings(ctx);
    if (!seen.current) ctx.progress(`waiting for the ${who} to restart the web pods: web-config says "${seen.want}", the pods run ${seen.running}`);
    return seen.current ? true : undefined;
  }, () => new StepFailed(`the web pods still run ${seen.running}, web-config says "${seen.want}": is the ${who} running? (npm run lesson -- status)`,
    `kubectl get deployment web -n ${ns} -o jsonpath='{.spec.template.metadata.annotations}'`), MISSING_AFTER_MS);
  const rollout = await deploymentRolledOut(ctx, 'web');
  return `the web pods were restarted for GREETING=${seen.want}; ${rollout}`;
}

const lesson: Lesson = {
  id: ns,
  number: 8,
  title: 'Controller',
  goal: 'Write a controller that restarts pods when their configuration changes, and see why controllers reconcile state instead of reacting to events.',
  dir: 'patterns/08-controller',
  // The controller restarts pods by changing the Deployment: a new ReplicaSet per ConfigMap change.
  live: { kinds: [ConfigMaps, Deployments, ReplicaSets, Pods] },
  steps: [
    namespaceStep(ns),
    {
      id: 'deploy',
      title: 'Deploy an app and its annotated ConfigMap',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        const rollout = await deploymentRolledOut(ctx, 'web');
        const { want } = await greetings(ctx);
        return `web-config says GREETING=${want}; ${rollout}`;
      },
      expected: 'configmap/web-config and deployment.apps/web created; deployment "web" successfully rolled out',
      hint: 'The ConfigMap and the Deployment are both in app.yaml.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
    },
    {
      id: 'naive-loop',
      title: 'Restart pods from a watch loop',
      commands: [naiveLoop, patch('Hi')],
      needs: 'any',
      async verify(ctx) {
        await configSays(ctx, 'Hi');
        return podsRunCurrentConfig(ctx, 'naive loop');
      },
      expected: 'naive-loop: running (Ctrl-C stops) in its terminal; configmap/web-config patched; the loop logs "naive loop: web-config changed, pods restarted" and the web pods are replaced',
      hint: 'Start the loop before you change the ConfigMap: it only sees changes while it watches.',
      solution: patch('Hi'),
    },
    {
      id: 'lost-change',
      title: 'Lose a change while the loop is down',
      commands: [{ stop: naiveLoop.terminal }, patch('Howdy'), naiveLoop],
      needs: 'any',
      // This step succeeds when the change is lost: that is what it demonstrates.
      async verify(ctx) {
        await configSays(ctx, 'Howdy');
        await new Promise((r) => setTimeout(r, 3000)); // give the loop every chance to act
        const { running, current } = await greetings(ctx);
        if (current) {
          throw new StepFailed('the pods were restarted for "Howdy": was the ConfigMap changed while the loop was stopped?',
            `kubectl get configmap web-config -n ${ns} -o yaml`);
        }
        return `web-config says GREETING=Howdy, but 3 s after the loop started again the web pods still run ${running}: the change was lost`;
      },
      expected: 'the loop starts again (naive-loop: running) and does nothing: the pods still run with "Hi", not "Howdy"',
      hint: 'Change the ConfigMap after stopping the loop and before starting it again.',
      solution: patch('Howdy'),
    },
    {
      id: 'controller',
      title: 'Replace the loop with a controller',
      commands: [{ stop: naiveLoop.terminal }, controller],
      needs: 'any',
      async verify(ctx) {
        await configSays(ctx, 'Howdy');
        return podsRunCurrentConfig(ctx, 'controller');
      },
      expected: 'config-map-controller: running; on start it lists web-config, sees that the pods run older data and restarts them: they now run "Howdy"',
      hint: 'Nothing needs to change for the controller to act: it compares, it does not wait for an event.',
      solution: controller.start,
    },
  ],
};

export default lesson;
