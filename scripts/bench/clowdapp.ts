// npm run bench -- clowdapp [--apps N] [--idle S] [--timeout S]   (defaults: 100 apps, 60 s idle, 900 s)
// How the Clowder operator copes with N ClowdApps: starts a fresh local control plane in a
// temporary directory (with an audit log), creates one environment and N apps (two deployments
// each, one public), runs the operator as its own process (the command of `npm run operator --
// clowder`, V8 flags included, under a ServiceAccount of its own), and measures
// - seconds from creating the first app to every app reporting ReconciliationSuccessful (all
//   objects written), and to every app also ready (its Deployments available);
// - the operator's requests until then, by verb, as the API server's audit log records them
//   (counting in the client would miss retries and count requests the server never saw), and
//   its writes per app (the goal: one per object it owns, plus one status);
// - writes during an idle period after convergence, which includes resyncs every 5 s (the goal
//   is 0: a settled operator has nothing to write);
// - the operator process's peak RSS, the latency of creating a ClowdApp (during the run, and
//   before the operator starts beside the same object through a CRD without rules), and the CPU
//   seconds kube-apiserver spent until convergence.
// If the apps have not converged within the timeout it stops, and says how many apps are in
// which state and which failure is the most common.
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { $ } from 'zx';
import { resolveBinaries } from '../../kind/binaries.ts';
import { auditLog, down, kubeConfigFor, localCluster, processes, up } from '../../kind/local.ts';
import { LOCAL_CONTEXT } from '../../kind/workshop.ts';
import { percentile, round } from './stats.ts';
import { Informer } from '../../operator/runtime/informer.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { API_VERSION, type ClowdApp } from '../../operator/clowder/api.ts';
import { clowdApp, clowdClient, condition, environment } from '../../operator/clowder/testing/fixtures.ts';
import { installCrds } from '../../operator/clowder/install-crds.ts';

const NAMESPACE = 'bench';
const OPERATOR_USER = `system:serviceaccount:${NAMESPACE}:clowder`;
/** Only the operator's requests are recorded, once each, without bodies: cheap for the API server. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    users: ["${OPERATOR_USER}"]
  - level: None
`;
const READS = ['get', 'list', 'watch'];

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: {
    apps: { type: 'string', default: '100' }, idle: { type: 'string', default: '60' }, timeout: { type: 'string', default: '900' },
  } });
  const count = Number(values.apps);
  const idleSeconds = Number(values.idle);
  const deadline = Date.now() + Number(values.timeout) * 1000;
  await resolveBinaries(); // a build, if one is needed, is not part of the measurement

  const workdir = await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-'));
  const policy = join(workdir, 'audit-policy.yaml');
  await writeFile(policy, AUDIT_POLICY);
  const cluster = localCluster(join(workdir, 'cluster'));
  const operatorLog = join(tmpdir(), `${workdir.split('/').at(-1)}-operator.log`);
  let operator: ChildProcess | undefined;
  let apps: Informer<ClowdApp> | undefined;
  try {
    // Two pods per app (api and worker), and a node takes 110: enough fake nodes for all of them.
    await up(cluster, { nodes: Math.max(2, Math.ceil((count * 2) / 100)), auditPolicy: policy, log: () => {} });
    const admin = kubeConfigFor(cluster);
    const clowd = clowdClient(admin);
    const adminClient = new KubeClient(admin);
    await installCrds(adminClient);
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    // Small requests: kwok's fake nodes have finite allocatable memory, and the scheduler
    // honours it; with the usual 512Mi per pod, a hundred apps would not fit.
    await clowd.createEnv(environment('bench', {}, { resourceDefaults: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } } }));

    const idleCreates = await compareCreates(admin);

    // Progress is read from a watch of our own (as admin, which the audit policy leaves out).
    apps = new Informer<ClowdApp>(adminClient, { apiVersion: API_VERSION, kind: 'ClowdApp', namespace: NAMESPACE });
    await apps.start();
    operator = await startOperator(cluster.workdir, admin, operatorLog);
    const apiServer = (await processes(cluster))['kube-apiserver'];
    const cpuBefore = await cpuSeconds(apiServer);

    const start = Date.now();
    const createMs: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await clowd.createApp(clowdApp(`app-${i}`, NAMESPACE, 'bench', [{ name: 'api', web: true }, { name: 'worker' }]));
      createMs.push(performance.now() - t);
    }
    // "Written" is the operator's part (every object written, ReconciliationSuccessful); "ready"
    // adds the control plane's (ReplicaSets, pods scheduled and Ready, Deployments available).
    const settled = (ready: boolean) => apps!.list().filter((a) => (!ready || a.status?.ready) && reconciled(a)).length;
    let writtenAt: number | undefined;
    let last = -1;
    while (settled(true) < count) {
      if (Date.now() > deadline) return stoppedShort(apps.list(), count, operatorLog);
      if (writtenAt === undefined && settled(false) === count) writtenAt = Date.now();
      if (settled(true) !== last) console.error(`${(last = settled(true))}/${count} apps reconciled and ready`);
      await sleep(200);
    }
    const convergedAt = Date.now();
    const cpu = (await cpuSeconds(apiServer)) - cpuBefore;
    console.error(`all ${count} apps ready after ${round((convergedAt - start) / 1000)} s; idling ${idleSeconds} s`);
    await sleep(idleSeconds * 1000);
    const peakRss = await peakRssMb(operator.pid!);

    const requests = await auditedRequests(auditLog(cluster));
    await rm(operatorLog); // kept only when the run stops short or fails, to read why
    const converging = requests.filter((r) => r.at >= start && r.at <= convergedAt);
    const idle = requests.filter((r) => r.at > convergedAt);
    const writes = converging.filter((r) => !READS.includes(r.verb)).length;
    return {
      apps: count,
      seconds_to_all_written: round(((writtenAt ?? convergedAt) - start) / 1000),
      seconds_to_all_reconciled: round((convergedAt - start) / 1000),
      requests_by_verb: byVerb(converging),
      writes_by_resource: writesByResource(converging),
      writes_per_app: round(writes / count),
      // Per app 8 objects (3 ServiceAccounts, 2 Services, the config Secret, 2 Deployments), plus one status.
      goal_writes_per_app: 9,
      idle_seconds: idleSeconds,
      idle_writes: idle.filter((r) => !READS.includes(r.verb)).length,
      idle_writes_by_resource: writesByResource(idle),
      goal_idle_writes: 0,
      operator_peak_rss_mb: peakRss,
      create_p50_ms: round(percentile(createMs, 0.5)),
      create_p95_ms: round(percentile(createMs, 0.95)),
      ...idleCreates,
      apiserver_cpu_seconds: round(cpu),
    };
  } finally {
    await apps?.stop();
    if (operator) await stop(operator);
    await down(cluster, () => {});
    await rm(workdir, { recursive: true, force: true });
  }
}

/**
 * Create latency with no operator running: the same ClowdApp through our CRD (schema and CEL
 * rules) and through a CRD that checks nothing. Their ratio is what our rules cost; the
 * latency during the run, beside it, adds the operator's load on the API server.
 */
async function compareCreates(admin: KubeConfig, count = 50): Promise<Record<string, number>> {
  const plain = { group: 'bench.k8s-patterns.test', version: 'v1', plural: 'plainapps' };
  const extensions = admin.makeApiClient(ApiextensionsV1Api);
  await extensions.createCustomResourceDefinition({ body: {
    metadata: { name: `${plain.plural}.${plain.group}` },
    spec: {
      group: plain.group, scope: 'Namespaced', names: { kind: 'PlainApp', plural: plain.plural, singular: 'plainapp' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
    },
  } });
  const custom = admin.makeApiClient(CustomObjectsApi);
  const timed = async (create: (i: number) => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await create(i);
      ms.push(performance.now() - t);
    }
    return ms;
  };
  // Until the new CRD serves, creates fail with 404: wait for the first to pass.
  const body = (i: number) => ({ ...clowdApp(`probe-${i}`, 'default', 'bench', [{ name: 'api', web: true }, { name: 'worker' }]), apiVersion: `${plain.group}/v1`, kind: 'PlainApp' });
  for (let started = Date.now(); ; await sleep(100)) {
    const ok = await custom.createNamespacedCustomObject({ ...plain, namespace: 'default', body: { ...body(0), metadata: { name: 'first', namespace: 'default' } } }).then(() => true, () => false);
    if (ok) break;
    if (Date.now() - started > 30_000) throw new Error('the plain CRD did not serve within 30 s');
  }
  const plainMs = await timed((i) => custom.createNamespacedCustomObject({ ...plain, namespace: 'default', body: body(i) }));
  const clowd = clowdClient(admin);
  const oursMs = await timed((i) => clowd.createApp(clowdApp(`probe-${i}`, 'default', 'bench', [{ name: 'api', web: true }, { name: 'worker' }])));
  // No operator runs yet, so no finalizer holds them: they go at once and cost the run nothing.
  for (let i = 0; i < count; i++) await clowd.deleteApp('default', `probe-${i}`);
  return {
    create_idle_p50_ms: round(percentile(oursMs, 0.5)),
    create_plain_crd_p50_ms: round(percentile(plainMs, 0.5)),
    create_idle_vs_plain: round(percentile(oursMs, 0.5) / percentile(plainMs, 0.5)),
  };
}

function reconciled(app: ClowdApp): boolean {
  return condition(app, 'ReconciliationSuccessful')?.status === 'True' && app.status?.generation === app.metadata?.generation;
}

/**
 * Starts `npm run operator -- clowder` as a child process (node directly, so its PID and its RSS
 * are the operator's own), as the ServiceAccount bench/clowder, and waits for its caches.
 */
async function startOperator(workdir: string, admin: KubeConfig, logFile: string): Promise<ChildProcess> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: 'clowder' } } });
  await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({ body: {
    metadata: { name: 'bench-clowder' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'clowder', namespace: NAMESPACE }],
  } });
  const { status } = await core.createNamespacedServiceAccountToken({ namespace: NAMESPACE, name: 'clowder', body: { spec: { audiences: [], expirationSeconds: 86_400 } } });
  const server = admin.getCurrentCluster()!;
  const own = new KubeConfig();
  own.loadFromOptions({
    clusters: [server],
    users: [{ name: 'clowder', token: status!.token }],
    // The workshop's context name, on the kit's cluster: the operator's context guard lets it act.
    contexts: [{ name: LOCAL_CONTEXT, cluster: server.name, user: 'clowder' }],
    currentContext: LOCAL_CONTEXT,
  });
  const kubeconfig = join(workdir, 'operator-kubeconfig');
  await writeFile(kubeconfig, own.exportConfig());

  const log = await open(logFile, 'w');
  const child = spawn(process.execPath, [...(await operatorCommand()), 'clowder', '--resync-seconds', '5'], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const started = Date.now();
  while (!(await readFile(logFile, 'utf8')).includes('caches synced')) {
    if (child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`the operator did not start; its log: ${logFile}`);
    await sleep(100);
  }
  return child;
}

/** The arguments to node of `npm run operator` (its V8 flags included), so the bench runs what users run. */
async function operatorCommand(): Promise<string[]> {
  const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> };
  const [node, ...args] = scripts.operator.split(' ');
  if (node !== 'node') throw new Error(`package.json's operator script does not start with node: ${scripts.operator}`);
  return args;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid!, 'SIGTERM');
  await exited;
}

/** The largest resident set the process had so far (VmHWM, Linux). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024);
}

/** CPU time (user and system) the process used so far, from /proc/<pid>/stat (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces
  const ticks = Number((await $({ quiet: true })`getconf CLK_TCK`).stdout.trim());
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime and stime: fields 14 and 15
}

interface Request { verb: string; at: number; resource: string }

/** The operator's requests, one audit event each, with the time the API server received them. */
async function auditedRequests(file: string): Promise<Request[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  return lines
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) => event.user.username === OPERATOR_USER)
    .map(({ verb, requestReceivedTimestamp, objectRef }) => ({
      verb,
      at: Date.parse(requestReceivedTimestamp),
      resource: [objectRef?.resource, objectRef?.subresource].filter(Boolean).join('/'),
    }));
}

interface AuditEvent {
  verb: string;
  requestReceivedTimestamp: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
}

/** Writes by resource ("clowdapps/status", "deployments"): where the writes per app go. */
function writesByResource(requests: Request[]): Record<string, number> {
  const resources: Record<string, number> = {};
  for (const { resource } of requests.filter((r) => !READS.includes(r.verb))) resources[resource] = (resources[resource] ?? 0) + 1;
  return resources;
}

function byVerb(requests: Request[]): Record<string, number> {
  const verbs: Record<string, number> = {};
  for (const { verb } of requests) verbs[verb] = (verbs[verb] ?? 0) + 1;
  return verbs;
}

/** The figures of a run that did not converge: how many apps are in which state, and the most common failure. */
function stoppedShort(apps: ClowdApp[], count: number, operatorLog: string): object {
  const states: Record<string, number> = {};
  const failures = new Map<string, number>();
  for (const app of apps) {
    const failed = condition(app, 'ReconciliationFailed');
    const state = !app.status ? 'no status'
      : failed?.status === 'True' ? 'failed'
      : !reconciled(app) ? 'not reconciled'
      : app.status.ready ? 'ready' : 'written, not ready';
    states[state] = (states[state] ?? 0) + 1;
    if (failed?.status === 'True') failures.set(failed.message, (failures.get(failed.message) ?? 0) + 1);
  }
  const [message, times] = [...failures].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  console.error(`stopped short: ${JSON.stringify(states)}; most common failure (${times} apps): ${message || 'none'}; operator log: ${operatorLog}`);
  return { apps: count, converged: false, apps_by_state: states, most_common_failure: message, most_common_failure_apps: times };
}
