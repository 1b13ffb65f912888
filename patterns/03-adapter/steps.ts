// Lesson 3, adapter: the app reports metrics in its own format; a container beside it translates
// them into the format the monitoring system expects, so every pod looks the same from outside.
import { CoreV1Api, DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { appears, deploymentRolledOut, envIn, printed, readyPods, serviceRoutesTo, sharesEmptyDir } from '../checks.ts';
import { StepFailed, Deployments, Pods, Services, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';

const ns = 'adapter';
const manifests = 'patterns/03-adapter/manifests';

const readFile = `kubectl exec -n ${ns} deploy/shop -c app -- node -e "console.log(require('node:fs').readFileSync('/var/metrics/app.json', 'utf8'))"`;
const makeRequest = `kubectl exec -n ${ns} deploy/shop -c app -- node -e "fetch('http://localhost:8080/info').then(r => r.text()).then(console.log)"`;
// Through the Service's DNS name and metrics port, the way a scraper inside the cluster would.
const scrape = `kubectl exec -n ${ns} deploy/shop -c app -- node -e "fetch('http://shop:9102/metrics').then(r => r.text()).then(console.log)"`;
// The app rewrites its file every METRICS_INTERVAL_SECONDS (5): after this long it has counted the request.
const awaitNextWrite = 'sleep 6';

/** The one line of JSON the app writes, as the file holds it. */
const metricsLine = /^\{"app":.*\}$/m;
/** A scrape's answer: the Prometheus text format, with the info sample naming the pod that answered. */
const exposition = /^# TYPE sample_app_http_requests_total counter$[\s\S]*^sample_app_info\{[^}]*pod="([^"]+)"[^}]*\} 1$/m;

/** The app writes METRICS_FILE and the adapter reads the same path, inside the shared volume. */
function checkContract(ctx: LessonContext, pod: V1Pod): string {
  const mounts = sharesEmptyDir(ctx, pod, 'metrics', ['app', 'metrics-adapter']);
  const written = envIn(pod, 'app', 'METRICS_FILE');
  const read = envIn(pod, 'metrics-adapter', 'METRICS_FILE');
  if (!written || written !== read || !written.startsWith(`${mounts.app}/`) || mounts.app !== mounts['metrics-adapter']) {
    throw new StepFailed(`the app writes ${written}, the adapter reads ${read}; both should be one file inside the shared volume`,
      `kubectl get pod ${pod.metadata?.name} -n ${ns} -o yaml`);
  }
  return written;
}

const lesson: Lesson = {
  id: ns,
  number: 3,
  title: 'Adapter',
  goal: 'Expose an application\'s own metrics in Prometheus format through an adapter container, without changing the application.',
  dir: 'patterns/03-adapter',
  live: { kinds: [Deployments, Pods, Services] },
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
        const rollout = await deploymentRolledOut(ctx, 'shop');
        const files = (await readyPods(ctx, 'app=shop')).map((pod) => checkContract(ctx, pod));
        return `${rollout}; in each pod the app writes and metrics-adapter reads ${files[0]}, in the shared emptyDir metrics`;
      },
      expected: 'deployment.apps/shop created, then deployment "shop" successfully rolled out: two pods, each with the app and its metrics-adapter',
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
        await appears(ctx, 'service shop', () => ctx.kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'shop', namespace: ns }),
          `kubectl get services -n ${ns}`);
        const endpoints = await serviceRoutesTo(ctx, 'shop', 'app=shop');
        const slices = await ctx.kc.makeApiClient(DiscoveryV1Api)
          .listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=shop' });
        const ports = slices.items.flatMap((s) => s.ports ?? []).map((p) => `${p.name}:${p.port}`).sort();
        if (!ports.includes('metrics:9102') || !ports.includes('http:8080')) {
          throw new StepFailed(`the shop EndpointSlices publish ports [${ports.join(', ')}], expected http:8080 and metrics:9102`,
            `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=shop -o yaml`);
        }
        return `service shop's EndpointSlice lists both pods, ${endpoints.join(' and ')}, each with ports ${ports.join(' and ')}`;
      },
      expected: 'service/shop created; one EndpointSlice shop-… with PORTS 9102,8080 (in either order) and both pod IPs under ENDPOINTS',
      hint: 'targetPort: metrics refers to the adapter container\'s named port.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/service.yaml`,
    },
    {
      id: 'native-format',
      title: 'Read the metrics file in the app\'s own format',
      commands: [makeRequest, awaitNextWrite, readFile],
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'shop');
        const [line] = await printed(ctx, readFile, metricsLine);
        const metrics = JSON.parse(line) as { pod: string; requests: Record<string, Record<string, number>> };
        const counted = metrics.requests['/info']?.['200'];
        if (!counted) {
          throw new StepFailed(`the metrics file of ${metrics.pod} counts no request to /info: ${line}`, readFile);
        }
        return `the metrics file of ${metrics.pod}, in the app's own JSON, counts ${counted} request(s) to /info answered with 200`;
      },
      expected: 'the app\'s /info answer ({"version":"dev","pod":"shop-…",…}), then one line of JSON from the file: app, version, pod, startedAt, writtenAt, uptimeSeconds and "requests":{"/info":{"200":1}}',
      hint: 'The file is rewritten every METRICS_INTERVAL_SECONDS (5); read it again if /info is not counted yet.',
      solution: readFile,
    },
    {
      id: 'prometheus-format',
      title: 'Scrape the adapter through the Service',
      commands: [scrape],
      needs: 'containers',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'shop');
        const [text, pod] = await printed(ctx, scrape, exposition);
        // The Service's virtual IP picks one of the two pods; only the one asked in step 4 counted /info.
        const info = text.match(/^sample_app_http_requests_total\{path="\/info",status="200"\} (\d+)$/m);
        return `the adapter of ${pod} answered in the Prometheus text format; ` +
          (info ? `it counts ${info[1]} request(s) to /info` : 'that replica has answered no request to /info, so it has no sample for it');
      },
      expected: 'Prometheus text from the pod the Service picked: # HELP and # TYPE lines, sample_app_uptime_seconds, sample_app_info{version="dev",pod="shop-…"} 1 and, if it is the pod asked in step 4, sample_app_http_requests_total{path="/info",status="200"} 1',
      hint: 'Port 9102 is the adapter, not the app; the name shop resolves to the Service in the same namespace.',
      solution: scrape,
    },
  ],
};

export default lesson;
