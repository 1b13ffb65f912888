// Records a rollout as a series "ready pods of the old version vs the new version over time",
// the data behind the lesson's chart. It watches pods rather than ReplicaSet status: readiness
// is a property of pods, and ReplicaSet counters lag behind them.
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../../scripts/cluster/workshop.ts';

export interface RolloutPoint {
  /** Milliseconds since the recording started. */
  t: number;
  old: number;
  new: number;
}

const isReady = (pod: V1Pod) => !pod.metadata?.deletionTimestamp &&
  Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/**
 * Runs `change` (which starts a rollout of the pods labelled app=<app>) and records until
 * `settled` resolves. Pods that exist at the start are the old version; every pod template hash
 * that appears later is the new one.
 */
export async function recordRollout(
  kc: KubeConfig, namespace: string, app: string,
  change: () => Promise<void>, settled: () => Promise<void>,
): Promise<RolloutPoint[]> {
  const labelSelector = `app=${app}`;
  const initial = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  const oldHashes = new Set(initial.items.map((p) => p.metadata?.labels?.['pod-template-hash']));
  const ready = new Map<string, { old: boolean; ready: boolean }>();
  for (const pod of initial.items) {
    ready.set(pod.metadata!.name!, { old: true, ready: isReady(pod) });
  }

  const start = Date.now();
  const series: RolloutPoint[] = [];
  const sample = () => {
    const point = { t: Date.now() - start, old: 0, new: 0 };
    for (const pod of ready.values()) if (pod.ready) point[pod.old ? 'old' : 'new']++;
    const last = series.at(-1);
    if (!last || last.old !== point.old || last.new !== point.new) series.push(point);
  };
  sample();

  // Watch from the list's resourceVersion, so no change between list and watch is missed.
  const watch = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector, resourceVersion: initial.metadata?.resourceVersion },
    (type: string, pod: V1Pod) => {
      const name = pod.metadata!.name!;
      if (type === 'DELETED') ready.delete(name);
      else ready.set(name, { old: oldHashes.has(pod.metadata?.labels?.['pod-template-hash']), ready: isReady(pod) });
      sample();
    },
    () => {},
  );
  try {
    await change();
    await settled();
    // The watch may deliver the last events just after the Deployment reports done.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    watch.abort();
  }
  return series;
}

function recordingPath(namespace: string, app: string): string {
  return join(cacheDir(), 'recordings', `${namespace}-${app}.json`);
}

/** Recordings are kept outside the cluster so the site can chart them after the fact. */
export async function saveRecording(namespace: string, app: string, series: RolloutPoint[]): Promise<void> {
  await mkdir(join(cacheDir(), 'recordings'), { recursive: true });
  await writeFile(recordingPath(namespace, app), JSON.stringify(series));
}

export async function loadRecording(namespace: string, app: string): Promise<RolloutPoint[] | undefined> {
  return readFile(recordingPath(namespace, app), 'utf8').then(JSON.parse, () => undefined);
}
