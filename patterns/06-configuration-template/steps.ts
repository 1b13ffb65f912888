// Lesson 6, configuration template: one template for the configuration's structure, one small set
// of parameters per environment, and an init container that renders them together when the pod
// starts. Switching environments means pointing the pod at another parameter set.
import { CoreV1Api } from '@kubernetes/client-node';
import { deploymentRolledOut, envIn, printed, readyPod, sharesEmptyDir } from '../checks.ts';
import { StepFailed, ConfigMaps, Deployments, Pods, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';

const ns = 'configuration-template';
const manifests = 'patterns/06-configuration-template/manifests';
const image = 'k8s-patterns/workshop:dev';

const readSettings = `kubectl exec -n ${ns} deploy/web -c app -- node -e "fetch('http://localhost:8080/content/settings.json').then(r => r.text()).then(console.log)"`;
const switchToProd = `kubectl patch deployment web -n ${ns} -p '{"spec":{"template":{"spec":{"volumes":[{"name":"params","configMap":{"name":"config-prod"}}]}}}}'`;

/** The placeholders a template uses: {{ name }} → name. */
function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1]))].sort();
}

/**
 * The rendered pod: render-config writes into the `config` emptyDir the app reads, and the
 * `params` volume holds the expected environment's ConfigMap. Nothing else differs.
 */
async function checkRenderedFor(ctx: LessonContext, params: string): Promise<string> {
  await deploymentRolledOut(ctx, 'web');
  const pod = await readyPod(ctx, 'app=web');
  const lookAt = `kubectl get pod ${pod.metadata?.name} -n ${ns} -o yaml`;
  const mounts = sharesEmptyDir(ctx, pod, 'config', ['render-config', 'app']);
  if (envIn(pod, 'render-config', 'OUTPUT_DIR') !== mounts['render-config']) {
    throw new StepFailed('render-config must write (OUTPUT_DIR) into the config volume the app reads', lookAt);
  }
  const used = pod.spec?.volumes?.find((v) => v.name === 'params')?.configMap?.name;
  if (used !== params) throw new StepFailed(`the pod takes its parameters from ${used}, expected ${params}`, lookAt);
  const images = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.image);
  if (images.some((i) => i !== image)) {
    throw new StepFailed(`every container should run ${image}, found [${images.join(', ')}]`, lookAt);
  }
  return `pod ${pod.metadata?.name}: render-config rendered settings-template with ${params} into ${mounts['render-config']}, ` +
    `the emptyDir the app reads at ${mounts.app}; every container runs ${image}`;
}

/**
 * The settings.json the app serves, as the step's fetch printed it, holds the environment's values:
 * only a render-config that really ran can have put them there.
 */
async function servedSettings(ctx: LessonContext, environment: string, logLevel: string): Promise<string> {
  await deploymentRolledOut(ctx, 'web');
  const [, databaseUrl] = await printed(ctx, readSettings,
    new RegExp(`"environment": "${environment}",\\s*"logLevel": "${logLevel}",\\s*"databaseUrl": "([^"]+)"`));
  return `the app serves settings.json rendered for ${environment}: logLevel ${logLevel}, databaseUrl ${databaseUrl}`;
}

const lesson: Lesson = {
  id: ns,
  number: 6,
  title: 'Configuration Template',
  goal: 'Render one configuration template with per-environment parameters in an init container, and switch environments without a new image.',
  dir: 'patterns/06-configuration-template',
  live: { kinds: [ConfigMaps, Deployments, Pods] },
  steps: [
    namespaceStep(ns),
    {
      id: 'inputs',
      title: 'Store the template and both parameter sets',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/template.yaml`,
        `kubectl apply -n ${ns} -f ${manifests}/config-dev.yaml`,
        `kubectl apply -n ${ns} -f ${manifests}/config-prod.yaml`,
      ],
      needs: 'any',
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const read = (name: string) => core.readNamespacedConfigMap({ name, namespace: ns }).then((c) => c.data ?? {}, () => {
          throw new StepFailed(`ConfigMap ${name} does not exist`, `kubectl get configmaps -n ${ns}`);
        });
        const template = (await read('settings-template'))['settings.json'] ?? '';
        const wanted = placeholders(template);
        if (wanted.length === 0) {
          throw new StepFailed('the template settings.json has no {{ placeholders }}', `kubectl get configmap settings-template -n ${ns} -o yaml`);
        }
        // Every environment must fill every placeholder, or its rendered file is incomplete.
        for (const name of ['config-dev', 'config-prod']) {
          const params = await read(name);
          const missing = wanted.filter((key) => !(key in params));
          if (missing.length > 0) {
            throw new StepFailed(`${name} lacks the parameters [${missing.join(', ')}] that the template uses`, `kubectl get configmap ${name} -n ${ns} -o yaml`);
          }
        }
        return `settings-template uses the placeholders {{ ${wanted.join(' }}, {{ ')} }}; config-dev and config-prod fill every one`;
      },
      expected: 'configmap/settings-template, configmap/config-dev and configmap/config-prod created; the last two have the same keys',
      hint: 'The parameter names are the {{ placeholders }} in the template; each must be a key in both parameter ConfigMaps.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/template.yaml -f ${manifests}/config-dev.yaml -f ${manifests}/config-prod.yaml`,
    },
    {
      id: 'deploy-dev',
      title: 'Render the configuration for development',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
        `kubectl rollout status deployment/web -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      verify: (ctx) => checkRenderedFor(ctx, 'config-dev'),
      expected: 'deployment.apps/web created, then deployment "web" successfully rolled out: the pod ran render-config, then started the app',
      hint: 'The params volume names the ConfigMap with the environment\'s values.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
    },
    {
      id: 'read-dev',
      title: 'Read the rendered development configuration',
      commands: [readSettings],
      needs: 'containers',
      verify: (ctx) => servedSettings(ctx, 'development', 'debug'),
      expected: 'settings.json with "environment": "development", "logLevel": "debug" and "databaseUrl": "postgres://db.dev.svc:5432/shop", in the template\'s structure',
      hint: 'If the placeholders are still there, look at the log of the init container: kubectl logs deploy/web -c render-config',
      solution: readSettings,
    },
    {
      id: 'switch-prod',
      title: 'Switch to production by switching the ConfigMap',
      commands: [switchToProd, `kubectl rollout status deployment/web -n ${ns} --timeout=2m`],
      needs: 'any',
      verify: (ctx) => checkRenderedFor(ctx, 'config-prod'),
      expected: 'deployment.apps/web patched; rollout status waits while the development pod goes and the new one starts, then deployment "web" successfully rolled out: a new pod whose params volume is config-prod; image and template are unchanged',
      hint: 'Volumes are merged by name, so the patch only needs the params volume with its new configMap name.',
      solution: switchToProd,
    },
    {
      id: 'read-prod',
      title: 'Read the rendered production configuration',
      commands: [readSettings],
      needs: 'containers',
      verify: (ctx) => servedSettings(ctx, 'production', 'warn'),
      expected: 'the same settings.json structure, now with "environment": "production", "logLevel": "warn" and "databaseUrl": "postgres://db.prod.example.com:5432/shop"',
      hint: 'The file is rendered when the pod starts; the rollout in the previous step must have finished.',
      solution: readSettings,
    },
  ],
};

export default lesson;
