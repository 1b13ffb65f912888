// Lesson 7, service discovery: how a client finds the pods of a service that keep moving — a
// stable virtual IP with a DNS name, a headless Service listing the pods themselves, aliases and
// hand-made endpoints for systems outside the cluster, and the ways traffic enters from outside.
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type V1Service } from '@kubernetes/client-node';
import { appears, deploymentRolledOut, podTrouble, printed, readyEndpointIPs, readyPod, serviceRoutesTo } from '../checks.ts';
import { StepFailed, EndpointSlices, Pods, Services, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';

const ns = 'service-discovery';
const manifests = 'patterns/07-service-discovery/manifests';
const gate = 'workshop.example.com/warmed-up';

const lookUp = `kubectl exec -n ${ns} deploy/client -- node -e "require('node:dns').promises.lookup('catalog').then(a => console.log('dns', a.address, 'env', process.env.CATALOG_SERVICE_HOST))"`;
const callByName = `kubectl exec -n ${ns} deploy/client -- node -e "fetch('http://catalog/info').then(r => r.text()).then(console.log)"`;
const reportNotWarm = `kubectl patch pod catalog-warming -n ${ns} --subresource=status -p '{"status":{"conditions":[{"type":"${gate}","status":"False"}]}}'`;
// Where the ingress controller serves, as it published it in the Ingress's status: the host name
// localhost on kind (ingress-nginx), the node IP on the local control plane's real node (Traefik).
const ingressAddress = `kubectl get ingress catalog -n ${ns} -o jsonpath='{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}'`;
// An address is published a moment before traffic to it flows (the proxy loads its routes, kube-proxy
// its rules): a first try may find no answer, so it prints why instead of failing, and one tries again.
const fetchInfo = `node -e "fetch('http://' + process.argv[1] + '/info').then(r => r.text(), e => 'no answer yet: ' + (e.cause?.code ?? e.message)).then(console.log)"`;
const viaIngress = `${fetchInfo} "$(${ingressAddress})"`;
const lbAddress = `kubectl get service catalog-lb -n ${ns} -o jsonpath='{.status.loadBalancer.ingress[0].ip}'`;
const viaLoadBalancer = `${fetchInfo} "$(${lbAddress})"`;

/** Reads a Service, waiting a few seconds for it to exist. */
function service(ctx: LessonContext, name: string): Promise<V1Service> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  return appears(ctx, `service ${name}`, () => core.readNamespacedService({ name, namespace: ns }), `kubectl get services -n ${ns}`);
}

/**
 * Where the prose says "note it", the value must be in what the step's `kubectl get` printed.
 * Undefined output (`lesson check`): the attendee ran the commands, the cluster alone is checked.
 */
function shown(ctx: LessonContext, value: string, what: string, command: string): void {
  if (ctx.output !== undefined && !ctx.output.includes(value)) {
    throw new StepFailed(`the step's output does not show ${what} (${value})`, command);
  }
}

/** The virtual IP the API server allocated to a Service. */
async function clusterIP(ctx: LessonContext, name: string): Promise<string> {
  const ip = (await service(ctx, name)).spec?.clusterIP;
  if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) {
    throw new StepFailed(`service ${name} has no virtual IP (clusterIP: ${ip})`, `kubectl get service ${name} -n ${ns}`);
  }
  return ip;
}

/** Every address in a Service's EndpointSlices, with whether it is ready. */
async function endpointStates(ctx: LessonContext, name: string): Promise<Map<string, boolean>> {
  const slices = await ctx.kc.makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${name}` });
  const states = new Map<string, boolean>();
  for (const e of slices.items.flatMap((s) => s.endpoints ?? [])) {
    for (const ip of e.addresses) states.set(ip, e.conditions?.ready === true);
  }
  return states;
}

const lesson: Lesson = {
  id: ns,
  number: 7,
  title: 'Service Discovery',
  goal: 'Find services inside and outside the cluster by name, and choose how traffic from outside reaches them.',
  dir: 'patterns/07-service-discovery',
  // A Service leads to the ready pods its EndpointSlices list: the panel shows both sides.
  live: { kinds: [Services, EndpointSlices, Pods] },
  steps: [
    namespaceStep(ns),
    {
      id: 'cluster-ip',
      title: 'Give the catalog a stable virtual IP',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/catalog.yaml`,
        `kubectl rollout status deployment/catalog -n ${ns} --timeout=2m`,
        `kubectl get service catalog -n ${ns}`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'catalog');
        const ip = await clusterIP(ctx, 'catalog');
        shown(ctx, ip, 'the ClusterIP of service catalog', `kubectl get service catalog -n ${ns}`);
        const endpoints = await serviceRoutesTo(ctx, 'catalog', 'app=catalog');
        return `service catalog has the ClusterIP ${ip} and routes to the ${endpoints.length} catalog pods: ${endpoints.join(', ')}`;
      },
      expected: 'deployment "catalog" successfully rolled out; service catalog of TYPE ClusterIP with a CLUSTER-IP from the service range (such as 10.96.59.186): note it, step 4 finds the same address',
      hint: 'A Service without `type` is a ClusterIP Service; the API server picks the IP.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/catalog.yaml`,
    },
    {
      id: 'client',
      title: 'Start a client after the Service',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/client.yaml`,
        `kubectl rollout status deployment/client -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'client');
        const pod = await readyPod(ctx, 'app=client');
        const serviceBorn = (await service(ctx, 'catalog')).metadata?.creationTimestamp;
        const podBorn = pod.metadata?.creationTimestamp;
        // The kubelet injects <NAME>_SERVICE_HOST only for Services that exist when the container
        // starts. The variables are not in the pod spec, so from the API we check the conditions.
        if (!serviceBorn || !podBorn || podBorn < serviceBorn || pod.spec?.enableServiceLinks === false) {
          throw new StepFailed('the client pod must be created after the catalog Service, with enableServiceLinks on',
            `kubectl get pod,service -n ${ns} -o custom-columns=KIND:.kind,NAME:.metadata.name,CREATED:.metadata.creationTimestamp`);
        }
        const after = Math.round((podBorn.getTime() - serviceBorn.getTime()) / 1000);
        return `pod ${pod.metadata?.name} was created ${after} s after the catalog Service, so the kubelet gave its container CATALOG_SERVICE_HOST`;
      },
      expected: 'deployment "client" successfully rolled out, its pod younger than the catalog Service',
      hint: 'Order matters only for the environment variables: the Service must exist before the pod starts.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/client.yaml`,
    },
    {
      id: 'dns-and-env',
      title: 'Find the catalog by DNS name and by environment variable',
      commands: [lookUp, callByName],
      needs: 'containers',
      async verify(ctx) {
        const ip = await clusterIP(ctx, 'catalog');
        const escaped = ip.replaceAll('.', '\\.');
        await printed(ctx, lookUp, new RegExp(`dns ${escaped} env ${escaped}\\b`));
        const [, pod] = await printed(ctx, callByName, /"pod":"(catalog-[^"]+)"/);
        return `catalog resolves to ${ip} and CATALOG_SERVICE_HOST is ${ip}, the ClusterIP; http://catalog/info was answered by pod ${pod}`;
      },
      expected: 'dns <ClusterIP> env <the same ClusterIP>, then the /info answer of one catalog pod',
      hint: 'Both answers are the Service\'s virtual IP, not a pod IP; kube-proxy picks the pod per connection.',
      solution: lookUp,
    },
    {
      id: 'headless',
      title: 'List the pods behind a headless Service',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/headless.yaml`,
        `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=catalog-pods`,
      ],
      needs: 'any',
      async verify(ctx) {
        const ip = (await service(ctx, 'catalog-pods')).spec?.clusterIP;
        if (ip !== 'None') {
          throw new StepFailed(`catalog-pods has clusterIP ${ip}; a headless Service has None`, `kubectl get service catalog-pods -n ${ns}`);
        }
        const ips = await serviceRoutesTo(ctx, 'catalog-pods', 'app=catalog');
        if (ips.length !== 3) {
          throw new StepFailed(`catalog-pods lists ${ips.length} ready pod IPs, expected the 3 catalog pods`,
            `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=catalog-pods -o wide`);
        }
        return `catalog-pods is headless (clusterIP None); its EndpointSlice lists the 3 ready catalog pods: ${ips.join(', ')}`;
      },
      expected: 'service/catalog-pods created; one EndpointSlice catalog-pods-… with the three catalog pod IPs under ENDPOINTS',
      hint: 'clusterIP: None must be set when the Service is created; it cannot be changed later.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/headless.yaml`,
    },
    {
      id: 'not-ready',
      title: 'Hold a pod back with a readiness gate',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/warming-pod.yaml`,
        `kubectl wait --for=condition=ContainersReady pod/catalog-warming -n ${ns} --timeout=2m`,
        reportNotWarm,
        `kubectl get pod catalog-warming -n ${ns} -o wide`,
        `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=catalog-pods -o yaml`,
      ],
      // Only a real kubelet computes Ready from the containers and the gates. kwok marks every
      // condition True when the pod starts, the gate included, and never looks again.
      needs: 'containers',
      async verify(ctx) {
        const core = ctx.kc.makeApiClient(CoreV1Api);
        const lookAt = `kubectl get pod catalog-warming -n ${ns} -o wide; kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=catalog-pods -o yaml`;
        const read = () => core.readNamespacedPod({ name: 'catalog-warming', namespace: ns });
        await appears(ctx, 'pod catalog-warming', read, lookAt);
        let seen = '';
        // The container runs and is ready; the gate alone holds the pod back, and the kubelet says so.
        const ip = await waitFor(async () => {
          const trouble = await podTrouble(ctx, 'track=warming');
          if (trouble) throw new StepFailed(`pod catalog-warming cannot start: ${trouble}`, lookAt);
          const pod = await read();
          const condition = (type: string) => pod.status?.conditions?.find((c) => c.type === type);
          const ready = condition('Ready');
          seen = `ContainersReady=${condition('ContainersReady')?.status}, ${gate}=${condition(gate)?.status ?? 'not reported'}, Ready=${ready?.status} (${ready?.reason})`;
          if (condition('ContainersReady')?.status !== 'True') {
            ctx.progress(`waiting for the container of catalog-warming to be ready: ${seen}`);
            return undefined;
          }
          // What this step's patch reported, as the cache warmer would.
          if (condition(gate)?.status !== 'False') {
            throw new StepFailed(`pod catalog-warming should report ${gate}=False (this step's kubectl patch … --subresource=status); it has ${seen}`, lookAt);
          }
          const heldByGate = ready?.status === 'False' && ready.reason === 'ReadinessGatesNotReady';
          if (!heldByGate) ctx.progress(`waiting for the kubelet to hold catalog-warming back: ${seen}`);
          return heldByGate ? pod.status?.podIP : undefined;
        }, () => new StepFailed(`pod catalog-warming should run with ready containers but be held back by its readiness gate; it has ${seen}`, lookAt));
        // Listed, but not ready: clients of the headless Service are not given this address.
        let states = new Map<string, boolean>();
        await waitFor(async () => {
          states = await endpointStates(ctx, 'catalog-pods');
          if (states.get(ip) !== false) ctx.progress(`waiting for catalog-pods' EndpointSlice to list ${ip} as not ready`);
          return states.get(ip) === false ? true : undefined;
        }, () => new StepFailed(`pod catalog-warming (${ip}) should be in catalog-pods' EndpointSlice as not ready; ready state is ${states.get(ip)}`, lookAt), 15_000);
        if ((await readyEndpointIPs(ctx, 'catalog')).includes(ip)) {
          throw new StepFailed('the not-ready pod is among the catalog Service\'s ready endpoints', `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=catalog -o yaml`);
        }
        const others = await serviceRoutesTo(ctx, 'catalog-pods', 'app=catalog');
        return `catalog-warming (${ip}) has ${seen}; catalog-pods lists it with ready: false, beside the ready ${others.join(', ')}`;
      },
      expected: 'condition met; pod/catalog-warming patched; READY 1/1 but READINESS GATES 0/1 for catalog-warming; the slice lists its IP with ready: false, the three other pods with ready: true',
      hint: 'The gate\'s condition belongs to whichever controller owns it; it is set through the pod\'s status subresource.',
      solution: reportNotWarm,
    },
    {
      id: 'external-name',
      title: 'Alias an external host name',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/external-name.yaml`,
        `kubectl get service payments -n ${ns}`,
      ],
      needs: 'any',
      async verify(ctx) {
        const svc = await service(ctx, 'payments');
        const lookAt = `kubectl get service payments -n ${ns} -o yaml`;
        if (svc.spec?.type !== 'ExternalName' || svc.spec.externalName !== 'payments.example.com') {
          throw new StepFailed('payments should be an ExternalName Service for payments.example.com', lookAt);
        }
        if (svc.spec.clusterIP || (await endpointStates(ctx, 'payments')).size > 0) {
          throw new StepFailed('an ExternalName Service has no virtual IP and no endpoints', lookAt);
        }
        shown(ctx, 'payments.example.com', 'the external name', `kubectl get service payments -n ${ns}`);
        return 'payments is an ExternalName Service: DNS answers it with a CNAME to payments.example.com; it has no ClusterIP and no endpoints';
      },
      expected: 'TYPE ExternalName, CLUSTER-IP <none>, EXTERNAL-IP payments.example.com',
      hint: 'ExternalName is only a DNS CNAME; nothing is proxied.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/external-name.yaml`,
    },
    {
      id: 'external-system',
      title: 'Point a Service at a system outside the cluster',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/external-system.yaml`,
        `kubectl get service legacy-db -n ${ns}`,
        `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=legacy-db`,
      ],
      needs: 'any',
      async verify(ctx) {
        const ip = await clusterIP(ctx, 'legacy-db');
        const svc = await service(ctx, 'legacy-db');
        if (svc.spec?.selector) {
          throw new StepFailed('legacy-db must have no selector, or the EndpointSlice controller manages its endpoints', `kubectl get service legacy-db -n ${ns} -o yaml`);
        }
        const ips = await readyEndpointIPs(ctx, 'legacy-db');
        if (ips.join() !== '192.0.2.10') {
          throw new StepFailed(`legacy-db's ready endpoints are [${ips.join(', ')}], expected [192.0.2.10]`,
            `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=legacy-db -o yaml`);
        }
        shown(ctx, ip, 'the ClusterIP of legacy-db', `kubectl get service legacy-db -n ${ns}`);
        shown(ctx, '192.0.2.10', 'the hand-made endpoint', `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=legacy-db`);
        return `legacy-db has the ClusterIP ${ip}, no selector, and one ready endpoint from the hand-made slice: 192.0.2.10`;
      },
      expected: 'service legacy-db with a ClusterIP, and the slice legacy-db-1 with the single endpoint 192.0.2.10',
      hint: 'The slice finds its Service through the label kubernetes.io/service-name, and its port name must match the Service port\'s.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/external-system.yaml`,
    },
    {
      id: 'node-port',
      title: 'Open the catalog on a port of every node',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/nodeport.yaml`,
        `kubectl get service catalog-nodeport -n ${ns}`,
      ],
      needs: 'any',
      async verify(ctx) {
        const port = (await service(ctx, 'catalog-nodeport')).spec?.ports?.[0]?.nodePort ?? 0;
        if (port < 30000 || port > 32767) {
          throw new StepFailed(`catalog-nodeport has nodePort ${port}, expected one from 30000-32767`, `kubectl get service catalog-nodeport -n ${ns}`);
        }
        // The port the prose asks to note: the second number of PORT(S).
        shown(ctx, `80:${port}/TCP`, 'the node port', `kubectl get service catalog-nodeport -n ${ns}`);
        const endpoints = await serviceRoutesTo(ctx, 'catalog-nodeport', 'app=catalog');
        return `catalog-nodeport opens port ${port} on every node (PORT(S) 80:${port}/TCP) and routes to ${endpoints.length} ready catalog pods`;
      },
      expected: 'TYPE NodePort, PORT(S) 80:3xxxx/TCP: the second number is the port opened on every node',
      hint: 'Leave nodePort out and the API server allocates a free one.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/nodeport.yaml`,
    },
    {
      id: 'ingress',
      title: 'Route HTTP into the cluster with an Ingress',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/ingress.yaml`,
        `kubectl get ingress catalog -n ${ns}`,
      ],
      needs: 'any',
      async verify(ctx) {
        const ingress = await ctx.kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: 'catalog', namespace: ns })
          .catch(() => undefined);
        const backend = ingress?.spec?.rules?.[0]?.http?.paths?.[0]?.backend.service;
        if (ingress?.spec?.ingressClassName !== 'nginx' || backend?.name !== 'catalog') {
          throw new StepFailed('ingress catalog should send / to the catalog Service, for the nginx ingress class', `kubectl describe ingress catalog -n ${ns}`);
        }
        await service(ctx, backend.name);
        const address = ingress.status?.loadBalancer?.ingress?.[0];
        return `ingress catalog (class nginx) sends / to service ${backend.name}, port ${backend.port?.name ?? backend.port?.number}; ADDRESS ${address?.ip ?? address?.hostname ?? 'not published yet'}`;
      },
      expected: 'ingress catalog with CLASS nginx and PORTS 80; ADDRESS is empty at first: a few seconds later its controller writes localhost there on kind, 10.250.0.1 on the real node',
      hint: 'The backend names a Service and one of its ports, here by name (http).',
      solution: `kubectl apply -n ${ns} -f ${manifests}/ingress.yaml`,
    },
    {
      id: 'ingress-traffic',
      title: 'Reach the catalog through the Ingress',
      commands: [
        `kubectl wait --for=jsonpath='{.status.loadBalancer.ingress}' ingress/catalog -n ${ns} --timeout=2m`,
        viaIngress,
      ],
      // ingress-nginx on kind, Traefik beside the local control plane's real node.
      needs: 'containers',
      async verify(ctx) {
        // The first try may find no answer yet (see fetchInfo); then the check asks again.
        const [, pod] = await printed(ctx, viaIngress, /"pod":"(catalog-[^"]+)"/, 60_000);
        if (pod === 'catalog-warming') throw new StepFailed('the not-ready pod catalog-warming answered', `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=catalog -o yaml`);
        const address = (await ctx.sh(ingressAddress)).trim();
        return `through the Ingress at ${address}, /info was answered by pod ${pod}`;
      },
      expected: 'the /info answer of a catalog pod; run it a few times to see different pods answer',
      hint: 'This runs on your machine, not in a pod: port 80 of localhost is ingress-nginx on the kind node; 10.250.0.1:80 is Traefik on the real node.',
      solution: viaIngress,
    },
    {
      id: 'load-balancer',
      title: 'Ask for an external load balancer',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/loadbalancer.yaml`,
        `kubectl wait --for=jsonpath='{.status.loadBalancer.ingress}' service/catalog-lb -n ${ns} --timeout=2m`,
        viaLoadBalancer,
      ],
      // cloud-provider-kind on kind (started by hand), MetalLB's controller beside the real node.
      needs: 'containers',
      async verify(ctx) {
        await service(ctx, 'catalog-lb');
        // Assigning the address is a genuine wait: on kind a load balancer container has to start.
        const ip = await waitFor(async () => {
          const assigned = (await service(ctx, 'catalog-lb')).status?.loadBalancer?.ingress?.[0]?.ip;
          if (!assigned) ctx.progress('waiting for catalog-lb\'s external IP (up to 120 s); EXTERNAL-IP is <pending>');
          return assigned;
        }, () => new StepFailed('catalog-lb got no external IP; on kind, is cloud-provider-kind running?', `kubectl get service catalog-lb -n ${ns}; kubectl get events -n ${ns} --field-selector involvedObject.name=catalog-lb`), 120_000);
        const [, pod] = await printed(ctx, viaLoadBalancer, /"pod":"(catalog-[^"]+)"/, 60_000);
        return `catalog-lb got the external IP ${ip}; /info through it was answered by pod ${pod}`;
      },
      expected: 'EXTERNAL-IP changes from <pending> to an address (on the real node one of 10.250.1.0/24); fetching /info from it reaches a catalog pod (if it prints "no answer yet", run it again)',
      hint: 'On kind, start cloud-provider-kind in another terminal first: it fulfils LoadBalancer Services there. On the real node MetalLB\'s controller already runs.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/loadbalancer.yaml`,
    },
  ],
};

export default lesson;
