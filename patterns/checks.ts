// Checks that several lessons share. Each waits for the cluster to converge and, when it does
// not, fails with what it saw and the kubectl command that shows more.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { StepFailed, type LessonContext } from './lesson.ts';
import { waitFor } from './wait-for.ts';

/** How long a check gives an object to appear before it calls the state plainly wrong. */
export const MISSING_AFTER_MS = 10_000;

/**
 * Why pods of `selector` cannot become ready, if a container says so plainly (an image the node
 * cannot get, a crash loop, a missing ConfigMap): then waiting longer only hides the problem.
 */
export async function podTrouble(ctx: LessonContext, selector: string): Promise<string | undefined> {
  const pods = await ctx.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ctx.namespace, labelSelector: selector });
  for (const pod of pods.items) {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const bad = statuses.find((c) => TROUBLE.includes(c.state?.waiting?.reason ?? ''));
    if (bad) return `pod ${pod.metadata?.name}: container ${bad.name} is ${bad.state!.waiting!.reason} (${bad.state!.waiting!.message ?? bad.image})`;
  }
  return undefined;
}
const TROUBLE = ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError'];

/**
 * Waits until a Deployment has rolled out completely: every replica updated and available. A
 * rollout is a genuine wait (up to `timeoutMs`, and it says how far it got); a Deployment that does
 * not exist, or pods that plainly cannot start, fail at once.
 */
export async function deploymentRolledOut(ctx: LessonContext, name: string, timeoutMs = 120_000): Promise<string> {
  const apps = ctx.kc.makeApiClient(AppsV1Api);
  const lookAt = `kubectl rollout status deployment/${name} -n ${ctx.namespace}; kubectl describe deployment ${name} -n ${ctx.namespace}`;
  const since = Date.now();
  let seen = 'not found';
  await waitFor(async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace: ctx.namespace }).catch(() => undefined);
    if (!d) {
      if (Date.now() - since > MISSING_AFTER_MS) throw new StepFailed(`deployment ${name} does not exist in namespace ${ctx.namespace}`, `kubectl get deployments -n ${ctx.namespace}`);
      ctx.progress(`waiting for deployment ${name} to exist (up to ${MISSING_AFTER_MS / 1000} s)`);
      return undefined;
    }
    const want = d.spec?.replicas ?? 1;
    const s = d.status ?? {};
    seen = `${s.updatedReplicas ?? 0}/${want} updated, ${s.availableReplicas ?? 0}/${want} available` +
      ((s.replicas ?? 0) > want ? `, ${s.replicas} pods in all` : '');
    const selector = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const trouble = await podTrouble(ctx, selector);
    if (trouble) throw new StepFailed(`deployment ${name} cannot roll out: ${trouble}`, lookAt);
    const done = s.observedGeneration === d.metadata?.generation && (s.updatedReplicas ?? 0) === want &&
      (s.availableReplicas ?? 0) === want && (s.replicas ?? 0) === want;
    if (!done) ctx.progress(`waiting for deployment ${name} to roll out (up to ${timeoutMs / 1000} s): ${seen}`);
    return done ? true : undefined;
  }, () => new StepFailed(`deployment ${name} has not rolled out (${seen})`, lookAt), timeoutMs);
  return `deployment ${name} rolled out: ${seen}`;
}

/** The ready pods matching a label selector. */
export async function readyPods(ctx: LessonContext, labelSelector: string): Promise<V1Pod[]> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace: ctx.namespace, labelSelector });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp &&
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/** The value of an env var in a pod's first container, as set in its spec. */
export function envOf(pod: V1Pod, name: string): string | undefined {
  return pod.spec?.containers[0]?.env?.find((e) => e.name === name)?.value;
}

/** IP addresses of a Service's ready endpoints, as the EndpointSlice controller published them. */
export async function readyEndpointIPs(ctx: LessonContext, service: string): Promise<string[]> {
  const discovery = ctx.kc.makeApiClient(DiscoveryV1Api);
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace: ctx.namespace,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return slices.items.flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready)
    .flatMap((e) => e.addresses)
    .sort();
}

/** Waits until the Service's ready endpoints are exactly the IPs of the ready pods `selector` picks. */
export async function serviceRoutesTo(ctx: LessonContext, service: string, selector: string): Promise<string[]> {
  let seen: string[] = [];
  let want: string[] = [];
  return waitFor(async () => {
    want = (await readyPods(ctx, selector)).map((p) => p.status!.podIP!).sort();
    seen = await readyEndpointIPs(ctx, service);
    const done = want.length > 0 && seen.join() === want.join();
    if (!done) ctx.progress(`service ${service} routes to [${seen.join(', ')}]; waiting for the ready pods with ${selector}: [${want.join(', ')}]`);
    return done ? seen : undefined;
  }, () => new StepFailed(
    `service ${service} routes to [${seen.join(', ')}] but the ready pods with ${selector} are [${want.join(', ')}]`,
    `kubectl get endpointslices -n ${ctx.namespace} -l kubernetes.io/service-name=${service} -o wide; kubectl get pods -n ${ctx.namespace} -l ${selector} -o wide`));
}

/** The one pod a single-replica Deployment runs, once it is ready (a new pod after an update). */
export async function readyPod(ctx: LessonContext, selector: string): Promise<V1Pod> {
  let count = 0;
  return waitFor(async () => {
    const pods = await readyPods(ctx, selector);
    count = pods.length;
    if (count !== 1) ctx.progress(`waiting for exactly one ready pod with ${selector}: ${count} now`);
    return count === 1 ? pods[0] : undefined;
  }, () => new StepFailed(`expected exactly one ready pod with ${selector}, found ${count}`,
    `kubectl get pods -n ${ctx.namespace} -l ${selector}`));
}

/** The value of an env var in the named container or init container of a pod, as set in its spec. */
export function envIn(pod: V1Pod, container: string, name: string): string | undefined {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.find((c) => c.name === container)?.env?.find((e) => e.name === name)?.value;
}

/**
 * Checks that `containers` (regular or init) all mount the same emptyDir volume: the one way two
 * containers of a pod share files. Returns where each container mounts it.
 */
export function sharesEmptyDir(ctx: LessonContext, pod: V1Pod, volume: string, containers: string[]): Record<string, string> {
  const lookAt = `kubectl get pod ${pod.metadata?.name} -n ${ctx.namespace} -o yaml`;
  if (!pod.spec?.volumes?.find((v) => v.name === volume)?.emptyDir) {
    throw new StepFailed(`pod ${pod.metadata?.name} has no emptyDir volume named ${volume}`, lookAt);
  }
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const mounts: Record<string, string> = {};
  for (const name of containers) {
    const mount = all.find((c) => c.name === name)?.volumeMounts?.find((m) => m.name === volume);
    if (!mount) throw new StepFailed(`container ${name} does not mount the volume ${volume}`, lookAt);
    mounts[name] = mount.mountPath;
  }
  return mounts;
}

/**
 * Runs a command (usually a `kubectl exec`) until its output matches. For steps that need
 * containers, where only a running container can answer; retried because a rollout or a sync may still be under way.
 */
export async function outputMatches(ctx: LessonContext, command: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  let seen = '';
  return waitFor(async () => {
    seen = await ctx.sh(command).catch((error: Error) => error.message);
    if (!pattern.test(seen)) ctx.progress(`waiting for \`${command}\` to print ${pattern}: ${seen.trim().split('\n').at(-1)?.slice(0, 120) ?? ''}`);
    return pattern.test(seen) ? seen : undefined;
  }, () => new StepFailed(`expected output matching ${pattern}, got: ${seen.trim().slice(0, 400)}`, command), timeoutMs);
}

/**
 * Waits for an object to exist: `read` resolves to it, and rejects or gives undefined while it is
 * not there. Still missing after MISSING_AFTER_MS is plainly wrong (never applied, or deleted), so
 * the check fails then instead of waiting for something that will not come.
 */
export async function appears<T>(ctx: LessonContext, what: string, read: () => Promise<T | undefined>, lookAt: string): Promise<T> {
  return waitFor(async () => {
    const found = await read().catch(() => undefined);
    if (found === undefined) ctx.progress(`waiting for ${what} to exist (up to ${MISSING_AFTER_MS / 1000} s)`);
    return found;
  }, () => new StepFailed(`${what} does not exist in namespace ${ctx.namespace}`, lookAt), MISSING_AFTER_MS);
}

/**
 * What matched `pattern` in the output of `command`: in what the step's commands printed just now
 * when it is there, so the verdict rests on what the attendee saw; otherwise (`lesson check`, or
 * a page not synced yet when the command ran) the command is run again until its output matches.
 * `timeoutMs` is short by default: only a genuine wait, such as a ConfigMap refresh, should pass more.
 */
export async function printed(ctx: LessonContext, command: string, pattern: RegExp, timeoutMs = MISSING_AFTER_MS): Promise<RegExpMatchArray> {
  const seen = ctx.output?.match(pattern);
  if (seen) return seen;
  return (await outputMatches(ctx, command, pattern, timeoutMs)).match(pattern)!;
}
