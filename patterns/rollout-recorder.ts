// Records a rollout as a series "ready pods of the old version vs the new version over time",
// the data behind the lesson's chart. It watches pods rather than ReplicaSet status: readiness
// is a property of pods, and ReplicaSet counters lag behind them.
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../kind/workshop.ts';

export interface RolloutPoint {
  /** Milliseconds since the recording started. */
  t: number;
  old: number;
  new: number;
}

const isReady = (pod: V1Pod) => !pod.metadata?.deletionTimestamp &&
  Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** A saved recording: when it was made (ISO time of its start), and its points. */
export interface Recording {
  recordedAt: string;
  points: RolloutPoint[];
}

/**
 * Runs `commands` (which roll out the pods labelled app=<app> and wait for the rollout, as a
 * `kubectl rollout status` does) and records meanwhile. The pod template hash of the pods that exist
 * at the start — or, if there are none yet, the first to appear — is the old version; every later
 * one is the new. `onPoint` hears each new point as it is recorded.
 */
export async function recordRollout(
  kc: KubeConfig, namespace: string, app: string, commands: () => Promise<void>, onPoint: (point: RolloutPoint) => void = () => {},
): Promise<Recording> {
  const labelSelector = `app=${app}`;
  const initial = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  const oldHashes = new Set(initial.items.map((p) => p.metadata?.labels?.['pod-template-hash']));
  const isOld = (pod: V1Pod) => {
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    if (oldHashes.size === 0) oldHashes.add(hash);
    return oldHashes.has(hash);
  };
  const ready = new Map<string, { old: boolean; ready: boolean }>();
  for (const pod of initial.items) {
    ready.set(pod.metadata!.name!, { old: true, ready: isReady(pod) });
  }

  const start = Date.now();
  const recordedAt = new Date(start).toISOString();
  const series: RolloutPoint[] = [];
  const sample = () => {
    const point = { t: Date.now() - start, old: 0, new: 0 };
    for (const pod of ready.values()) if (pod.ready) point[pod.old ? 'old' : 'new']++;
    const last = series.at(-1);
    if (last && last.old === point.old && last.new === point.new) return;
    series.push(point);
    onPoint(point);
  };
  sample();

  // Watch from the list's resourceVersion, so no change between list and watch is missed.
  const watch = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector, resourceVersion: initial.metadata?.resourceVersion },
    (type: string, pod: V1Pod) => {
      const name = pod.metadata!.name!;
      if (type === 'DELETED') ready.delete(name);
      else ready.set(name, { old: isOld(pod), ready: isReady(pod) });
      sample();
    },
    () => {},
  );
  try {
    await commands();
    // The watch may deliver the last events just after the rollout reports done.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    watch.abort();
  }
  return { recordedAt, points: series };
}

const recordings = () => join(cacheDir(), 'recordings');
const recordingPath = (namespace: string, app: string) => join(recordings(), namespace, `${app}.json`);

/** Recordings are kept outside the cluster so the site can chart them after the fact. */
export async function saveRecording(namespace: string, app: string, recording: Recording): Promise<void> {
  await mkdir(join(recordings(), namespace), { recursive: true });
  await writeFile(recordingPath(namespace, app), JSON.stringify(recording));
}

export async function loadRecording(namespace: string, app: string): Promise<Recording | undefined> {
  return readFile(recordingPath(namespace, app), 'utf8').then(JSON.parse, () => undefined);
}

/** Resetting a lesson removes its recordings with the rest of it. */
export async function removeRecordings(namespace: string): Promise<void> {
  await rm(join(recordings(), namespace), { recursive: true, force: true });
}
