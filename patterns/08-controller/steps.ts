// Lesson 8, controller: restart pods when their ConfigMap changes. First as a naive watch loop,
// which loses a change made while it is down; then as a controller that compares desired and
// actual state on every reconcile, and so cannot lose it.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { configMapController } from '../../operator/config-map-controller/controller.ts';
import { startNaiveLoop } from '../../operator/config-map-controller/naive-loop.ts';
import { CONFIG_HASH, dataHash } from '../../operator/config-map-controller/restart.ts';
import { deploymentRolledOut } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'controller';
const manifests = 'patterns/08-controller/manifests';
const patch = (greeting: string) =>
  `kubectl patch configmap web-config -n ${ns} --type merge -p '{"data":{"GREETING":"${greeting}"}}'`;

/** The hash of the data the web pods were started with, and of the data they should run. */
async function hashes(ctx: LessonContext) {
  const cm = await ctx.kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'web-config', namespace: ns });
  const web = await ctx.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns });
  return { want: dataHash(cm), running: web.spec?.template.metadata?.annotations?.[CONFIG_HASH] };
}

/** Waits until the web pods run the ConfigMap's current data. */
async function podsRunCurrentConfig(ctx: LessonContext, who: string): Promise<void> {
  await waitFor(async () => {
    const { want, running } = await hashes(ctx);
    return want === running ? true : undefined;
  }, () => new StepFailed(`the web pods were not restarted for the current ConfigMap data: is the ${who} running?`,
    `kubectl get deployment web -n ${ns} -o jsonpath='{.spec.template.metadata.annotations}'`));
  await deploymentRolledOut(ctx, 'web');
}

const naiveLoop = (ctx: LessonContext) => ctx.keepRunning('naive-loop', () => startNaiveLoop(ctx.kc, ns, () => {}));

const lesson: Lesson = {
  id: ns,
  number: 8,
  title: 'Controller',
  goal: 'Write a controller that restarts pods when their configuration changes, and see why controllers reconcile state instead of reacting to events.',
  dir: 'patterns/08-controller',
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
        await deploymentRolledOut(ctx, 'web');
      },
      expected: 'configmap/web-config and deployment.apps/web created; 2 pods running',
      hint: 'The ConfigMap and the Deployment are both in app.yaml.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
    },
    {
      id: 'naive-loop',
      title: 'Restart pods from a watch loop',
      commands: [
        `npm run operator -- naive-loop --namespace ${ns}   # in a second terminal; leave it running`,
        patch('Hi'),
      ],
      needs: 'any',
      async run(ctx) {
        await naiveLoop(ctx);
        await ctx.sh(patch('Hi'));
      },
      verify: (ctx) => podsRunCurrentConfig(ctx, 'naive loop'),
      expected: 'the loop logs "web-config changed, pods restarted" and the web pods are replaced',
      hint: 'Start the loop before you change the ConfigMap: it only sees changes while it watches.',
      solution: patch('Hi'),
    },
    {
      id: 'lost-change',
      title: 'Lose a change while the loop is down',
      commands: [
        '# stop the loop with Ctrl-C in its terminal, then:',
        patch('Howdy'),
        `npm run operator -- naive-loop --namespace ${ns}   # start it again`,
      ],
      needs: 'any',
      async run(ctx) {
        await ctx.stopRunning('naive-loop');
        await ctx.sh(patch('Howdy'));
        await naiveLoop(ctx);
      },
      // This step succeeds when the change is lost: that is what it demonstrates.
      async verify(ctx) {
        await new Promise((r) => setTimeout(r, 2000)); // give the loop every chance to act
        const { want, running } = await hashes(ctx);
        if (want === running) {
          throw new StepFailed('the pods were restarted for "Howdy": was the ConfigMap changed while the loop was stopped?',
            `kubectl get configmap web-config -n ${ns} -o yaml`);
        }
      },
      expected: 'the loop starts again and does nothing: the pods still run with "Hi", not "Howdy"',
      hint: 'Change the ConfigMap after stopping the loop and before starting it again.',
      solution: patch('Howdy'),
    },
    {
      id: 'controller',
      title: 'Replace the loop with a controller',
      commands: [
        '# stop the naive loop with Ctrl-C, then in its terminal:',
        `npm run operator -- config-map-controller --namespace ${ns}`,
      ],
      needs: 'any',
      async run(ctx) {
        await ctx.stopRunning('naive-loop');
        await ctx.keepRunning('config-map-controller', async () => {
          const manager = configMapController(ctx.kc, ns, () => {});
          await manager.start();
          return () => manager.stop();
        });
      },
      verify: (ctx) => podsRunCurrentConfig(ctx, 'controller'),
      expected: 'on start the controller lists web-config, sees that the pods run older data and restarts them: they now run "Howdy"',
      hint: 'Nothing needs to change for the controller to act: it compares, it does not wait for an event.',
      solution: `npm run operator -- config-map-controller --namespace ${ns}`,
    },
  ],
};

export default lesson;
