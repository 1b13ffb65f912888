// The cluster panel's data: one set of watches per lesson, shared by every page that shows the
// lesson. The kinds come from the lesson's own `live` declaration, plus the namespace's Events.
// Each kind is an informer (operator/runtime): LIST once, then WATCH, resumed whenever the API
// server ends the watch, so a page never goes stale and a change reaches it without a new LIST.
// The watches start with the first page and stop with the last, so closed pages leave nothing
// open against the API server: each lesson's set has its own client, whose kept-alive
// connections are closed with it.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Informer } from '../operator/runtime/informer.ts';
import { KubeClient } from '../operator/runtime/kube-client.ts';
import type { Lesson, PanelKind } from '../patterns/lesson.ts';

/** One row of the panel: `ready` colours it (undefined: neither ready nor not, a Service). */
export interface Row { kind: string; name: string; state: string; ready?: boolean }
export interface EventRow { time: string; type: string; reason: string; object: string; message: string }
export interface Snapshot { rows: Row[]; events: EventRow[] }

/** How many event streams may be open: a page holds one; beyond this a page is refused. */
export interface StreamLimits { perLesson: number; total: number }

/** Changes arriving together (a rollout moves several pods at once) go out as one snapshot. */
const BURST_MS = 50;
const EVENTS_SHOWN = 8;
const Events: PanelKind = { apiVersion: 'v1', kind: 'Event' };

type Send = (message: string) => void;

class LessonWatch {
  readonly #client: KubeClient;
  readonly #informers: { kind: PanelKind; informer: Informer<KubernetesObject> }[];
  readonly clients = new Set<Send>();
  #last?: string;
  #timer?: NodeJS.Timeout;

  constructor(kc: KubeConfig, lesson: Lesson) {
    this.#client = new KubeClient(kc);
    // A custom resource's CRD may not exist before a step installs it: its informer retries
    // (every 5 s at most) until the kind appears.
    this.#informers = [...lesson.live.kinds, Events].map((kind) => ({
      kind,
      informer: new Informer(this.#client, { apiVersion: kind.apiVersion, kind: kind.kind, namespace: kind.clusterScoped ? undefined : lesson.id }, { maxBackoffMs: 5000 }),
    }));
    for (const { informer } of this.#informers) {
      informer.subscribe(() => this.#soon());
      // Also after the first LIST, so an empty namespace is shown as empty.
      informer.start().then(() => this.#soon(), () => {});
    }
  }

  get watches(): number {
    return this.#informers.length;
  }

  join(send: Send): void {
    this.clients.add(send);
    if (this.#last) send(this.#last);
  }

  /** Sends to every page of the lesson: snapshots, and the points of a rollout as it happens. */
  broadcast(message: string): void {
    for (const send of this.clients) send(message);
  }

  #soon(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      const message = `data: ${JSON.stringify(this.#snapshot())}\n\n`;
      if (message === this.#last) return; // a resync or a bookmark: nothing a page would show
      this.#last = message;
      this.broadcast(message);
    }, BURST_MS);
  }

  #snapshot(): Snapshot {
    const rows: Row[] = [];
    let events: KubernetesObject[] = [];
    for (const { kind, informer } of this.#informers) {
      const items = informer.list().sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      if (kind === Events) events = items;
      else rows.push(...items.filter(shown).map((o) => ({ kind: kind.kind, name: o.metadata!.name!, ...describe(kind.kind, o) })));
    }
    const when = (e: Record<string, any>) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
    const recent = events.sort((a, b) => String(when(b)).localeCompare(String(when(a)))).slice(0, EVENTS_SHOWN);
    return {
      rows,
      events: recent.map((e: Record<string, any>) => ({
        time: new Date(when(e)).toISOString(), type: e.type ?? 'Normal', reason: e.reason ?? '',
        object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`, message: e.message ?? '',
      })),
    };
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await Promise.all(this.#informers.map(({ informer }) => informer.stop()));
    this.#client.close();
  }
}

/** Every namespace has this ConfigMap; listing it in every lesson would only be noise. */
const shown = (o: KubernetesObject) => !(o.kind === 'ConfigMap' && o.metadata?.name === 'kube-root-ca.crt');

/** The fields that matter for each kind, in a few words. */
export function describe(kind: string, object: KubernetesObject): { state: string; ready?: boolean } {
  const o = object as Record<string, any>;
  const revision = o.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  const replicas = (ready: number | undefined, desired: number | undefined) => `${ready ?? 0}/${desired ?? 0} ready`;
  switch (kind) {
    case 'Pod': {
      if (o.metadata?.deletionTimestamp) return { state: 'terminating', ready: false };
      const ready = condition(o, 'Ready') === 'True';
      const containers = o.spec?.containers?.length ?? 0;
      const readyContainers = (o.status?.containerStatuses ?? []).filter((c: { ready?: boolean }) => c.ready).length;
      const waiting = [...(o.status?.initContainerStatuses ?? []), ...(o.status?.containerStatuses ?? [])]
        .map((c: { state?: { waiting?: { reason?: string } } }) => c.state?.waiting?.reason).find(Boolean);
      const parts = [ready ? 'ready' : 'not ready', `${readyContainers}/${containers} containers`, waiting ?? o.status?.phase ?? 'Pending', o.status?.podIP];
      return { state: parts.filter(Boolean).join(' · '), ready };
    }
    case 'Deployment':
    case 'ReplicaSet': {
      const desired = o.spec?.replicas ?? 0;
      const parts = [`revision ${revision ?? '?'}`, replicas(o.status?.readyReplicas, desired)];
      if (kind === 'Deployment') parts.push(`${o.status?.updatedReplicas ?? 0} updated`);
      // A ReplicaSet scaled to 0 is history (the old revision kept for an undo): neither ready nor
      // not. A Deployment in the middle of a rollout is not ready until every pod runs the new revision.
      if (kind === 'ReplicaSet' && desired === 0) return { state: parts.join(' · ') };
      const updated = kind === 'ReplicaSet' || (o.status?.updatedReplicas ?? 0) === desired;
      return { state: parts.join(' · '), ready: updated && (o.status?.readyReplicas ?? 0) === desired };
    }
    case 'Service': {
      const ports = (o.spec?.ports ?? []).map((p: { port: number }) => p.port).join(',');
      return { state: [o.spec?.type, o.spec?.clusterIP, ports && `port ${ports}`].filter(Boolean).join(' · ') };
    }
    case 'EndpointSlice': {
      const endpoints: { conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[] = o.endpoints ?? [];
      // The API's rule: an unset ready or serving means true, an unset terminating false.
      const ready = endpoints.filter((e) => e.conditions?.ready !== false).length;
      const serving = endpoints.filter((e) => e.conditions?.serving !== false).length;
      const terminating = endpoints.filter((e) => e.conditions?.terminating === true).length;
      const service = o.metadata?.labels?.['kubernetes.io/service-name'];
      const parts = [`${endpoints.length} endpoints`, `${ready} ready`, `${serving} serving`, terminating && `${terminating} terminating`, service && `for ${service}`];
      return { state: parts.filter(Boolean).join(' · '), ready: endpoints.length > 0 && ready === endpoints.length };
    }
    case 'ConfigMap':
      return { state: `keys: ${Object.keys(o.data ?? {}).join(', ') || '(none)'}` };
    case 'Job': {
      const failed = condition(o, 'Failed') === 'True';
      const complete = condition(o, 'Complete') === 'True';
      const state = `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1} succeeded${o.status?.active ? ` · ${o.status.active} active` : ''}${failed ? ' · failed' : ''}`;
      return { state, ready: failed ? false : complete || undefined };
    }
    default:
      return describeCustom(o);
  }
}

/**
 * A custom resource: its conditions when it has them, else its phase, else its spec. It counts as
 * ready when its readiness conditions (Ready, or Clowder's DeploymentsReady …) are all True and
 * no failure condition (ReconciliationFailed …) is.
 */
function describeCustom(o: Record<string, any>): { state: string; ready?: boolean } {
  const conditions: { type: string; status: string; reason?: string }[] = o.status?.conditions ?? [];
  if (conditions.length) {
    const readiness = conditions.filter((c) => c.type.endsWith('Ready'));
    const failed = conditions.some((c) => c.type.endsWith('Failed') && c.status === 'True');
    const sorted = [...readiness, ...conditions.filter((c) => !readiness.includes(c))];
    return {
      state: sorted.map((c) => `${c.type}=${c.status}${c.status !== 'True' && c.reason ? ` (${c.reason})` : ''}`).join(' · '),
      ready: readiness.length || failed ? !failed && readiness.every((c) => c.status === 'True') : undefined,
    };
  }
  if (o.status?.phase) return { state: String(o.status.phase) };
  const spec = JSON.stringify(o.spec ?? {});
  return { state: spec.length > 80 ? `${spec.slice(0, 79)}…` : spec };
}

const condition = (o: Record<string, any>, type: string): string | undefined =>
  (o.status?.conditions ?? []).find((c: { type: string }) => c.type === type)?.status;

/** The lessons' watch sets, each started with its first page and stopped with its last. */
export class LessonWatches {
  readonly #kc: KubeConfig;
  readonly #limits: StreamLimits;
  readonly #watches = new Map<string, LessonWatch>();

  constructor(kc: KubeConfig, limits: StreamLimits) {
    this.#kc = kc;
    this.#limits = limits;
  }

  /** Why one more page of this lesson may not open a stream (too many are open), if it may not. */
  refusal(lesson: Lesson): { status: 429 | 503; message: string } | undefined {
    const streams = this.stats().streams;
    if (streams >= this.#limits.total) return { status: 503, message: `too many open cluster panels (${streams}); close some pages` };
    if ((this.#watches.get(lesson.id)?.clients.size ?? 0) >= this.#limits.perLesson) {
      return { status: 429, message: `too many open cluster panels for lesson ${lesson.id} (${this.#limits.perLesson}); close some pages` };
    }
  }

  /** Adds a page, which gets the last snapshot at once; returns how it leaves. */
  join(lesson: Lesson, send: Send): () => void {
    const watch = this.#watches.get(lesson.id);
    const joined = watch ?? new LessonWatch(this.#kc, lesson);
    this.#watches.set(lesson.id, joined);
    joined.join(send);
    return () => {
      joined.clients.delete(send);
      if (joined.clients.size || this.#watches.get(lesson.id) !== joined) return;
      this.#watches.delete(lesson.id);
      void joined.stop();
    };
  }

  /** A named event for every page of the lesson (no-op when none is open). */
  broadcast(lessonId: string, event: string, data: unknown): void {
    this.#watches.get(lessonId)?.broadcast(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Open event streams, and the watches they share. */
  stats(): { streams: number; watches: number } {
    let streams = 0, watches = 0;
    for (const w of this.#watches.values()) {
      streams += w.clients.size;
      watches += w.watches;
    }
    return { streams, watches };
  }

  async close(): Promise<void> {
    const all = [...this.#watches.values()];
    this.#watches.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}
