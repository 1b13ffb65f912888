// Lesson 3, adapter: the app reports metrics in its own format; a container beside it translates
// them into the format the monitoring system expects, so every pod looks the same from outside.
import { DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { deploymentRolledOut, envIn, outputMatches, readyPods, serviceRoutesTo, sharesEmptyDir } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';

const ns = 'adapter';
const manifests = 'patterns/03-adapter/manifests';

const readFile = `kubectl exec -n ${ns} deploy/shop -c app -- node -e "console.log(require('node:fs').readFileSync('/var/metrics/app.json', 'utf8'))"`;
const makeRequest = `kubectl exec -n ${ns} deploy/shop -c app -- node -e "fetch('http://localhost:8080/info').then(r => r.text()).then(console.log)"`;
// Through the Service's DNS name and metrics port, the way a scraper inside the cluster would.
const scrape = `kubectl exec -n ${ns} deploy/shop -c app -- node -e "fetch('http://shop:9102/metrics').then(r => r.text()).then(console.log)"`;

/** The app writes METRICS_FILE and the adapter reads the same path, inside the shared volume. */
function checkContract(ctx: LessonContext, pod: V1Pod): void {
  const mounts = sharesEmptyDir(ctx, pod, 'metrics', ['app', 'metrics-adapter']);
  const written = envIn(pod, 'app', 'METRICS_FILE');
  const read = envIn(pod, 'metrics-adapter', 'METRICS_FILE');
  if (!written || written !== read || !written.startsWith(`${mounts.app}/`) || mounts.app !== mounts['metrics-adapter']) {
    throw new StepFailed(`the app writes ${written}, the adapter reads ${read}; both should be one file inside the shared volume`,
      `kubectl get pod ${pod.metadata?.name} -n ${ns} -o yaml`);
  }
}

const lesson: Lesson = {
  id: ns,
  number: 3,
  title: 'Adapter',
  goal: 'Expose an application\'s own metrics in Prometheus format through an adapter container, without changing the application.',
  dir: 'patterns/03-adapter',
  steps: [
    namespaceStep(ns),
    {
      id: 'deploy',
      title: 'Run the app with a metrics adapter',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
        `kubectl rollout status deployment/shop -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'shop');
        for (const pod of await readyPods(ctx, 'app=shop')) checkContract(ctx, pod);
      },
      expected: 'deployment "shop" successfully rolled out; both pods show READY 2/2',
      hint: 'Both containers must mount the emptyDir named metrics and agree on METRICS_FILE.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/app.yaml`,
    },
    {
      id: 'service',
      title: 'Publish the metrics port for scraping',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/service.yaml`,
        `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=shop`,
      ],
      needs: 'any',
      async verify(ctx) {
        await serviceRoutesTo(ctx, 'shop', 'app=shop');
        const slices = await ctx.kc.makeApiClient(DiscoveryV1Api)
          .listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=shop' });
        const ports = slices.items.flatMap((s) => s.ports ?? []).map((p) => `${p.name}:${p.port}`).sort();
        if (!ports.includes('metrics:9102') || !ports.includes('http:8080')) {
          throw new StepFailed(`the shop EndpointSlices publish ports [${ports.join(', ')}], expected http:8080 and metrics:9102`,
            `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=shop -o yaml`);
        }
      },
      expected: 'one EndpointSlice listing both pod IPs with ports 8080 and 9102',
      hint: 'targetPort: metrics refers to the adapter container\'s named port.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/service.yaml`,
    },
    {
      id: 'native-format',
      title: 'Read the metrics file in the app\'s own format',
      commands: [makeRequest, readFile],
      needs: 'containers',
      async verify(ctx) {
        // The app rewrites the file every 5 seconds; wait until it counts the request we made.
        await outputMatches(ctx, readFile, /"\/info":\{"200":\d+\}/);
      },
      expected: 'one line of JSON: app, version, pod, uptimeSeconds and requests such as {"/info":{"200":1}}',
      hint: 'The file is rewritten every METRICS_INTERVAL_SECONDS (5); read it again if /info is not counted yet.',
      solution: readFile,
    },
    {
      id: 'prometheus-format',
      title: 'Scrape the adapter through the Service',
      commands: [scrape],
      needs: 'containers',
      async verify(ctx) {
        // The request counted in the app's JSON file, now as a Prometheus sample with labels.
        await outputMatches(ctx, scrape, /^# TYPE \w+ counter$[\s\S]*^\w+\{[^}]*"\/info"[^}]*\} \d+$/m);
      },
      expected: 'Prometheus text: # HELP and # TYPE lines, then samples such as sample_app_http_requests_total{path="/info",status="200"} 1',
      hint: 'Port 9102 is the adapter, not the app; the name shop resolves to the Service in the same namespace.',
      solution: scrape,
    },
  ],
};

export default lesson;
