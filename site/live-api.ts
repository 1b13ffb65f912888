// The live half of the site: Run and Check buttons, the cluster panel (server-sent events), the
// programs running in their own terminals, and the rollout recordings. The browser names a lesson
// and a step id; the server looks both up in the catalog and runs only that step's commands — it
// never runs a command string that came from a request. Run and Check answer with the step's
// transcript, one JSON event per line as it happens, so the page shows the output while it streams.
import { AppsV1Api, CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import express, { type NextFunction, type Request, type Response } from 'express';
import { loadRecording } from '../patterns/rollout-recorder.ts';
import { lessons } from '../patterns/catalog.ts';
import type { Lesson } from '../patterns/lesson.ts';
import { logTail, runningPrograms, stopProgram, type RunningProgram } from '../patterns/programs.ts';
import { cannotRun, clusterRunsContainers, doStep, openContext, type OpenContext } from '../patterns/runner.ts';

export function liveApi(kc: KubeConfig | undefined, ownOrigins: string[]): { router: express.Router; close(): Promise<void> } {
  const api = express.Router();
  const contexts = new Map<string, Promise<OpenContext>>();
  const contextFor = (lesson: Lesson) => {
    if (!contexts.has(lesson.id)) contexts.set(lesson.id, openContext(lesson, kc!));
    return contexts.get(lesson.id)!;
  };
  // One step at a time per lesson: its steps share a namespace and a transcript.
  const queues = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(lesson: Lesson, work: () => Promise<T>): Promise<T> => {
    const next = (queues.get(lesson.id) ?? Promise.resolve()).then(work, work);
    queues.set(lesson.id, next.catch(() => {}));
    return next;
  };
  // The programs this server started, stopped again when it stops (the attendee's own stay).
  const started = new Map<number, { dir: string; program: RunningProgram }>();

  api.get('/status', async (_req, res) => {
    if (!kc) return res.json({ live: false });
    // Live only if the cluster answers. Its nodes decide which steps can run; the page shows the
    // reason on the others, keyed by what a step needs (a section's data-needs).
    const containers = await clusterRunsContainers(kc).catch(() => undefined);
    if (containers === undefined) return res.json({ live: false, context: kc.getCurrentContext() });
    res.json({ live: true, context: kc.getCurrentContext(), cannotRun: { containers: cannotRun('containers', containers) } });
  });

  // Only pages served from this server may press the buttons: a page from any other site
  // (a cross-site form or fetch) carries its own Origin and is refused.
  const sameOrigin = (req: Request, res: Response, next: NextFunction) => {
    if (ownOrigins.includes(req.get('origin') ?? '')) return next();
    res.status(403).json({ ok: false, message: `requests from origin "${req.get('origin') ?? '(none)'}" are not allowed` });
  };

  api.post('/lessons/:lesson/steps/:step/:action', sameOrigin, async (req, res) => {
    const lesson = lessons.find((l) => l.id === req.params.lesson);
    const step = lesson?.steps.find((s) => s.id === req.params.step);
    const action = req.params.action;
    if (!lesson || !step || (action !== 'run' && action !== 'check')) {
      return res.status(404).json({ ok: false, message: 'no such lesson step' });
    }
    if (!kc) return res.status(503).json({ ok: false, message: 'no workshop cluster is reachable' });
    const ctx = await contextFor(lesson).catch((error: Error) => error);
    if (ctx instanceof Error) return res.status(503).json({ ok: false, message: ctx.message });
    const reason = cannotRun(step.needs, ctx.containers);
    if (reason) return res.status(409).json({ ok: false, message: reason });
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
    const send = (event: object) => res.write(`${JSON.stringify(event)}\n`);
    await oneAtATime(lesson, async () => {
      ctx.setTranscript(send);
      const before = new Set((await runningPrograms(ctx.programs, lesson.id)).map((p) => p.pid));
      const outcome = await doStep(step, ctx, { checkOnly: action === 'check' });
      for (const p of await runningPrograms(ctx.programs, lesson.id)) {
        if (!before.has(p.pid)) started.set(p.pid, { dir: ctx.programs, program: p });
      }
      ctx.setTranscript(() => {});
      send({ type: 'end', ok: outcome.ok, message: outcome.text });
    });
    res.end();
  });

  // What runs in its own terminal for this lesson, with the end of its log.
  api.get('/lessons/:lesson/programs', async (req, res) => {
    const lesson = lessons.find((l) => l.id === req.params.lesson);
    if (!lesson || !kc) return res.status(404).json([]);
    const ctx = await contextFor(lesson);
    const running = await runningPrograms(ctx.programs, lesson.id);
    res.json(await Promise.all(running.map(async (p) => ({ terminal: p.terminal, pid: p.pid, command: p.command, tail: await logTail(p) }))));
  });

  api.get('/recordings/:lesson/:app', async (req, res) => {
    const series = lessons.some((l) => l.id === req.params.lesson) && /^[a-z0-9-]+$/.test(req.params.app)
      ? await loadRecording(req.params.lesson, req.params.app) : undefined;
    if (!series) return res.status(404).json({ message: 'no recording' });
    res.json(series);
  });

  api.get('/lessons/:lesson/events', async (req, res) => {
    const lesson = lessons.find((l) => l.id === req.params.lesson);
    if (!lesson || !kc) return res.status(404).end();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const stop = await streamResources(kc, lesson.id, (items) => res.write(`data: ${JSON.stringify(items)}\n\n`));
    req.on('close', stop);
  });

  // The contexts hold private kubeconfig copies in temp dirs: remove them on shutdown, and stop
  // the programs this server's Run buttons started.
  const close = async () => {
    for (const { dir, program } of started.values()) {
      if ((await runningPrograms(dir)).some((p) => p.pid === program.pid)) await stopProgram(dir, program);
    }
    for (const ctx of contexts.values()) await ctx.then((c) => c.close(), () => {});
  };
  return { router: api, close };
}

interface Item { kind: string; name: string; state: string }

/**
 * Watches the lesson's namespace and sends a fresh summary after each burst of changes. A
 * summary (not each event) keeps the browser simple: it just redraws the table.
 */
async function streamResources(kc: KubeConfig, namespace: string, send: (items: Item[]) => void): Promise<() => void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  let timer: NodeJS.Timeout | undefined;
  const summarize = async () => {
    const [deployments, pods, services] = await Promise.all([
      apps.listNamespacedDeployment({ namespace }), core.listNamespacedPod({ namespace }), core.listNamespacedService({ namespace }),
    ]).catch(() => [{ items: [] }, { items: [] }, { items: [] }] as never);
    send([
      ...deployments.items.map((d) => ({ kind: 'Deployment', name: d.metadata!.name!, state: `${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 0} available` })),
      ...pods.items.map((p) => ({ kind: 'Pod', name: p.metadata!.name!, state: p.metadata?.deletionTimestamp ? 'Terminating' : `${p.status?.phase ?? 'Pending'}${p.status?.podIP ? ` ${p.status.podIP}` : ''}` })),
      ...services.items.map((s) => ({ kind: 'Service', name: s.metadata!.name!, state: `${s.spec?.type} ${s.spec?.clusterIP ?? ''}` })),
    ]);
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(() => void summarize(), 200); };
  const watch = new Watch(kc);
  const paths = [`/apis/apps/v1/namespaces/${namespace}/deployments`, `/api/v1/namespaces/${namespace}/pods`, `/api/v1/namespaces/${namespace}/services`];
  const watches = await Promise.all(paths.map((path) => watch.watch(path, {}, soon, () => {}).catch(() => undefined)));
  await summarize();
  return () => {
    clearTimeout(timer);
    for (const w of watches) w?.abort();
  };
}
