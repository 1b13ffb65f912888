// The live half of the site: Run and Check buttons, the cluster panel (server-sent events), the
// programs running in their own terminals, and the rollout recordings. The browser names a lesson
// and a step id; the server looks both up in the catalog and runs only that step's commands — it
// never runs a command string that came from a request. Run and Check answer with the step's
// transcript, one JSON event per line as it happens, so the page shows the output while it streams.
// What one page may do is bounded: one step per lesson at a time, a capped number of panels.
import type { KubeConfig } from '@kubernetes/client-node';
import express, { type NextFunction, type Request, type Response } from 'express';
import { loadRecording } from '../patterns/rollout-recorder.ts';
import { lessons } from '../patterns/catalog.ts';
import type { Lesson } from '../patterns/lesson.ts';
import { logTail, runningPrograms, stopProgram, type RunningProgram } from '../patterns/programs.ts';
import { cannotRun, clusterRunsContainers, doStep, openContext, type OpenContext } from '../patterns/runner.ts';
import { LessonWatches, type StreamLimits } from './lesson-watch.ts';

/** Enough for a room where each attendee keeps a tab or two open, not for a page that opens hundreds. */
export const STREAM_LIMITS: StreamLimits = { perLesson: 40, total: 100 };

export function liveApi(kc: KubeConfig | undefined, ownOrigins: string[], limits = STREAM_LIMITS) {
  const api = express.Router();
  const watches = kc && new LessonWatches(kc, limits);
  const contexts = new Map<string, Promise<OpenContext>>();
  const contextFor = (lesson: Lesson) => {
    if (!contexts.has(lesson.id)) contexts.set(lesson.id, openContext(lesson, kc!));
    return contexts.get(lesson.id)!;
  };
  // One step at a time per lesson: its steps share a namespace and a transcript. A second press
  // is refused rather than queued, so a page cannot pile up work (or processes) on the server.
  const busy = new Map<string, string>();
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
    // Taken before the first await, so presses that arrive together cannot both get in.
    const running = busy.get(lesson.id);
    if (running) return res.status(429).json({ ok: false, message: `step "${running}" of this lesson is still running: wait for it to end` });
    busy.set(lesson.id, step.id);
    try {
      const ctx = await contextFor(lesson).catch((error: Error) => error);
      if (ctx instanceof Error) return res.status(503).json({ ok: false, message: ctx.message });
      const reason = cannotRun(step.needs, ctx.containers);
      if (reason) return res.status(409).json({ ok: false, message: reason });
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
      const send = (event: object) => res.write(`${JSON.stringify(event)}\n`);
      // A rollout's points go to every page of the lesson (its chart), the rest to this transcript.
      ctx.setTranscript((event) => (event.type === 'rollout' ? watches?.broadcast(lesson.id, 'rollout', event) : send(event)));
      const before = new Set((await runningPrograms(ctx.programs, lesson.id)).map((p) => p.pid));
      const outcome = await doStep(step, ctx, { checkOnly: action === 'check' });
      for (const p of await runningPrograms(ctx.programs, lesson.id)) {
        if (!before.has(p.pid)) started.set(p.pid, { dir: ctx.programs, program: p });
      }
      ctx.setTranscript(() => {});
      send({ type: 'end', ok: outcome.ok, message: outcome.text });
      res.end();
    } finally {
      busy.delete(lesson.id);
    }
  });

  // What runs in its own terminal for this lesson, with the end of its log.
  api.get('/lessons/:lesson/programs', async (req, res) => {
    const lesson = lessons.find((l) => l.id === req.params.lesson);
    if (!lesson || !kc) return res.status(404).json([]);
    const ctx = await contextFor(lesson);
    const running = await runningPrograms(ctx.programs, lesson.id);
    res.json(await Promise.all(running.map(async (p) => ({ terminal: p.terminal, pid: p.pid, command: p.command, tail: await logTail(p) }))));
  });

  // Only the rollouts a lesson's steps record (Step.records): no other name reaches the file system.
  api.get('/recordings/:lesson/:app', async (req, res) => {
    const lesson = lessons.find((l) => l.id === req.params.lesson);
    const recording = lesson?.steps.some((s) => s.records === req.params.app) ? await loadRecording(lesson.id, req.params.app) : undefined;
    if (!recording) return res.status(404).json({ message: 'no recording' });
    res.json(recording);
  });

  // The cluster panel: a snapshot of the lesson's kinds after each change, as server-sent events.
  api.get('/lessons/:lesson/events', (req, res) => {
    const lesson = lessons.find((l) => l.id === req.params.lesson);
    if (!lesson || !watches) return res.status(404).end();
    const refusal = watches.refusal(lesson);
    if (refusal) return res.status(refusal.status).type('text').send(`${refusal.message}\n`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    // Attached at once (no await before it): a page that leaves always gives its place back.
    res.on('close', watches.join(lesson, (message) => res.write(message)));
  });

  // The contexts hold private kubeconfig copies in temp dirs: remove them on shutdown, and stop
  // the programs this server's Run buttons started.
  const close = async () => {
    for (const { dir, program } of started.values()) {
      if ((await runningPrograms(dir)).some((p) => p.pid === program.pid)) await stopProgram(dir, program);
    }
    for (const ctx of contexts.values()) await ctx.then((c) => c.close(), () => {});
    await watches?.close();
  };
  const stats = () => watches?.stats() ?? { streams: 0, watches: 0 };
  return { router: api, close, stats };
}
