// The workshop site, driven like an attendee would: Chromium (see ./browser.ts) through playwright-core.
// Every lesson page is walked step by step with its Run and Check buttons against the real
// control plane (a step the cluster cannot run must say why and offer no buttons): the step's
// terminal pane must show each of its commands followed by real output, and the check's verdict.
// Copy buttons must put exactly the step's command on the clipboard.
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { lessons } from '../patterns/catalog.ts';
import { commandText, type Step } from '../patterns/lesson.ts';
import { cannotRun, clusterRunsContainers, openContext, resetLesson } from '../patterns/runner.ts';
import { WORKSHOP_IMAGE } from '../kind/kind.ts';
import { buildSite, distDir } from '../site/build.ts';
import { startServer } from '../site/server.ts';
import { findChromium } from '../scripts/doctor/browser.ts';
import { testKubeConfig } from './cluster.ts';

const artifacts = join(import.meta.dirname, '..', 'test-results', 'site');
const kc = testKubeConfig();
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let context: BrowserContext;
let base: string;

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  server = await startServer(0, kc);
  base = `http://127.0.0.1:${server.port}`;
  const found = await findChromium();
  console.log(`browser: ${found.path} (${found.source})`);
  browser = await chromium.launch({
    executablePath: found.path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each(lessons)('lesson page $id', (lesson) => {
  it('runs and checks every step with its buttons', async () => {
    const ctx = await openContext(lesson, kc);
    await resetLesson(lesson, ctx);
    // Reset afterwards too, as the lesson suite does: lesson 9's in-cluster operator, left
    // running, would reconcile the ConfigWatchers of the operator suites that run later.
    onTestFinished(() => resetLesson(lesson, ctx).finally(() => ctx.close()));
    const page = await context.newPage();
    await page.goto(`${base}/lessons/${lesson.id}.html`);
    await page.locator('body.live-mode').waitFor();
    for (const step of lesson.steps) {
      const section = page.locator(`#step-${step.id}`);
      const reason = cannotRun(step.needs, ctx.containers);
      if (reason) {
        // Skipped, saying why: the buttons are off, the server refuses them anyway, nothing is ticked.
        expect(await section.locator('.result').textContent()).toBe(reason);
        expect(await section.locator('.live button:enabled').count()).toBe(0);
        const answer = await page.evaluate((url) => fetch(url, { method: 'POST' }).then(async (r) => ({ status: r.status, ...await r.json() })),
          `/api/lessons/${lesson.id}/steps/${step.id}/run`);
        expect(answer).toEqual({ status: 409, ok: false, message: reason });
        expect(await section.locator('label.done input').isChecked()).toBe(false);
        continue;
      }
      for (const action of ['run', 'check'] as const) {
        await section.locator(`button.${action}`).click();
        const result = section.locator('.result.ok, .result.failed');
        await result.waitFor({ timeout: 300_000 });
        const transcript = await section.locator('.terminal').innerText();
        expect(await result.getAttribute('class'), `${step.id} ${action}: ${await result.textContent()}\n${transcript}`).toContain('ok');
        if (action === 'run') expectCommandsWithOutput(step, transcript);
        expect(transcript.trimEnd().split('\n').at(-1), `${step.id} ${action}`).toMatch(/^ok: \S/);
      }
      // A passed check ticks the step off.
      expect(await section.locator('label.done input').isChecked()).toBe(true);
    }
    await page.screenshot({ path: join(artifacts, `${lesson.id}.png`), fullPage: true });
    await page.close();
  });

  it('copies exactly the step commands', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/lessons/${lesson.id}.html`);
    for (const step of lesson.steps) {
      // Every command has one, except a Ctrl-C: there is nothing to type.
      const typed = step.commands.filter((c) => typeof c !== 'object' || !('stop' in c)).map(commandText);
      const buttons = page.locator(`#step-${step.id} button.copy`);
      expect(await buttons.count()).toBe(typed.length);
      for (const [i, command] of typed.entries()) {
        await buttons.nth(i).click();
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(command);
      }
    }
    await page.close();
  });
});

describe('instructor mode', () => {
  it('shows one slide at a time and moves with the keyboard', async () => {
    const lesson = lessons[0];
    const page = await context.newPage();
    await page.goto(`${base}/lessons/${lesson.id}.html?slides`);
    const current = page.locator('.slide.current');
    await expect.poll(() => current.getAttribute('class')).toContain('intro');
    // The intro may span several slides (slide breaks in lesson.md); the first step follows them.
    for (let n = await page.locator('.intro.slide').count(); n > 0; n--) await page.keyboard.press('ArrowRight');
    expect(await current.getAttribute('id')).toBe(`step-${lesson.steps[0].id}`);
    await page.keyboard.press('ArrowRight');
    expect(await current.getAttribute('id')).toBe(`step-${lesson.steps[1].id}`);
    await page.keyboard.press('ArrowLeft');
    expect(await current.getAttribute('id')).toBe(`step-${lesson.steps[0].id}`);
    expect(await page.locator('.slide:visible').count()).toBe(1);

    // The presenter view follows the audience window and shows what comes next.
    const presenter = await context.newPage();
    await presenter.goto(`${base}/lessons/${lesson.id}.html?presenter`);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => presenter.locator('.slide.current').getAttribute('id')).toBe(`step-${lesson.steps[1].id}`);
    const notes = presenter.locator('.presenter-notes');
    expect(await notes.textContent()).toContain(`Next: Step 3: ${lesson.steps[2].title}`);
    // A preview of the next slide itself, not only its title; the speaker notes of this one from
    // lesson.md (hidden from the audience); the hint; a running clock.
    expect(await notes.locator('.next-preview h3').textContent()).toBe(`Step 3: ${lesson.steps[2].title}`);
    expect(await notes.locator('.next-preview pre').first().textContent()).toBe(commandText(lesson.steps[2].commands[0]));
    expect(await notes.textContent()).toContain(`Hint: ${lesson.steps[1].hint}`);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => notes.locator('.notes').textContent()).toContain('Run it with the ReplicaSet watch on the projector');
    expect(await page.locator(`#step-${lesson.steps[2].id} .speaker-notes`).count()).toBe(1);
    expect(await page.locator('.speaker-notes:visible').count()).toBe(0);
    await expect.poll(() => notes.locator('.elapsed').textContent(), { timeout: 5000 }).toMatch(/^0:0[1-9]$/);
    await presenter.setViewportSize({ width: 1280, height: 720 });
    await presenter.screenshot({ path: join(artifacts, 'presenter-1280x720.png') });
    const g = await presenter.evaluate(slideGeometry);
    expect(g.clipped, JSON.stringify(g)).toEqual([]);
    expect(g.right).toBeLessThanOrEqual(await notes.evaluate((el) => el.getBoundingClientRect().left));
    await page.keyboard.press('Escape');
    expect(await page.locator('.slide:visible').count()).toBe(await page.locator('.slide').count());
    await presenter.close();
    await page.close();
  });
});

describe('live panel and rollout chart', () => {
  // Lesson 1 on the fake nodes: its rollouts run for real (kwok plays the kubelet), which is all
  // the panel and the chart show.
  const lesson = lessons[0];
  const ns = lesson.id;

  it('streams a rollout into the chart, lists ReplicaSets, shows a not-ready pod as not ready, and clears on reset', async () => {
    const ctx = await openContext(lesson, kc);
    await resetLesson(lesson, ctx);
    onTestFinished(() => resetLesson(lesson, ctx).finally(() => ctx.close()));
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${base}/lessons/${lesson.id}.html`);
    await page.locator('body.live-mode').waitFor();
    const panel = page.locator('.live-panel');
    await expect.poll(() => panel.locator('.resources').textContent()).toBe('Nothing yet: run step 1.');
    const run = async (step: Step) => {
      await page.locator(`#step-${step.id} button.run`).click();
      await page.locator(`#step-${step.id} .result.ok, #step-${step.id} .result.failed`).waitFor({ timeout: 120_000 });
    };
    for (const step of lesson.steps.slice(0, 2)) await run(step);

    // The rollout step: while it runs the chart streams both versions, and the panel lists both ReplicaSets.
    const rollout = lesson.steps.find((s) => s.records === 'rolling')!;
    await page.locator(`#step-${rollout.id} button.run`).click();
    const live = await page.waitForFunction(() => {
      const figure = document.querySelector('.chart figure[data-app="rolling"]');
      const series = Array.from(figure?.querySelectorAll('path.series') ?? []).map((p) => Number(p.getAttribute('data-points')));
      return figure?.textContent?.includes('recording since') && series.length >= 2 && series.every((n) => n >= 2) ? series : null;
    }, undefined, { timeout: 60_000 }).then((h) => h.jsonValue() as Promise<number[]>);
    const replicaSets = await panel.locator('tr[data-kind="ReplicaSet"]').count();
    await page.screenshot({ path: join(artifacts, 'live-rollout-1280x720.png') });
    await page.locator(`#step-${rollout.id} .result.ok`).waitFor({ timeout: 120_000 });
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(replicaSets).toBeGreaterThanOrEqual(2);
    // Afterwards the saved recording: its time, axes with units, a legend.
    const figure = panel.locator('.chart figure[data-app="rolling"]');
    await expect.poll(() => figure.locator('figcaption').textContent()).toMatch(/^rolling: recorded at .+, \d+\.\d s$/);
    expect(await figure.locator('text.unit').allTextContents()).toEqual(['ready pods', 'seconds']);
    expect(await figure.locator('.legend text').allTextContents()).toEqual(['old', 'new']);
    const points = await figure.locator('path.series.new').getAttribute('data-points');
    console.log(`rolling chart: ${live[0]} points streamed live, ${points} in the saved recording; ${replicaSets} ReplicaSet rows during the rollout`);
    expect(await panel.locator('tr[data-kind="ReplicaSet"]').first().textContent()).toMatch(/revision \d · \d\/\d ready/);
    expect(await panel.locator('tr[data-kind="Deployment"]').textContent()).toContain('revision 2 · 4/4 ready');

    // A change reaches the page without a reload: scale the Deployment and time the row's update.
    const apps = kc.makeApiClient(AppsV1Api);
    const scaled = Date.now();
    await apps.patchNamespacedDeploymentScale({ name: 'rolling', namespace: ns, body: { spec: { replicas: 5 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await page.waitForFunction(() => document.querySelector('tr[data-kind="Deployment"]')?.textContent?.includes('/5 ready'), undefined, { polling: 10 });
    console.log(`panel updated ${Date.now() - scaled} ms after the scale request was sent`);

    // A pod that really fails its readiness probe, on the real node (CI always has one): it runs,
    // and the kubelet reports it not ready. kwok, on fake nodes, would mark it Ready whatever the
    // probe says, so without a real node there is nothing honest to show and this part is left out.
    if (await clusterRunsContainers(kc)) {
      const core = kc.makeApiClient(CoreV1Api);
      const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
      await core.createNamespacedPod({ namespace: ns, body: {
        metadata: { name: 'never-ready', labels: { app: 'never-ready' } },
        // sleep as PID 1 ignores SIGTERM: without a short grace the reset would wait 30 s for it.
        spec: { terminationGracePeriodSeconds: 1, containers: [{
          name: 'app', image: WORKSHOP_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], securityContext: restricted,
          readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 },
        }] },
      } });
      const row = panel.locator('tr[data-kind="Pod"]', { hasText: 'never-ready' });
      await expect.poll(() => row.locator('td').nth(1).textContent(), { timeout: 60_000 }).toMatch(/^not ready · 0\/1 containers · Running/);
      expect(await row.getAttribute('class')).toBe('not-ready');
    }
    await page.screenshot({ path: join(artifacts, 'live-not-ready-1280x720.png') });
    expect(await panel.locator('.events li').count()).toBeGreaterThan(0);

    // In slides mode the panel has its place beside the slide, by a button.
    await page.locator('.slides-toggle').click();
    expect(await panel.isVisible()).toBe(false);
    await page.locator('.panel-toggle').click();
    expect(await panel.isVisible()).toBe(true);
    const slide = await page.locator('.slide.current').boundingBox();
    const box = await panel.boundingBox();
    expect(slide!.x + slide!.width).toBeLessThanOrEqual(box!.x + 1);
    await page.screenshot({ path: join(artifacts, 'slides-live-panel-1280x720.png') });
    await page.locator('.panel-toggle').click();
    await page.locator('.slides-toggle').click();

    // Reset (as `npm run lesson -- reset`): the panel empties and the chart goes with the recording.
    await resetLesson(lesson, ctx);
    await expect.poll(() => panel.locator('.resources').textContent(), { timeout: 30_000 }).toBe('Nothing yet: run step 1.');
    expect(await panel.locator('.chart figure').count()).toBe(0);
    await page.reload();
    await page.locator('body.live-mode').waitFor();
    await expect.poll(() => panel.locator('.resources').textContent()).toBe('Nothing yet: run step 1.');
    expect(await panel.locator('.chart figure').count()).toBe(0);
    await page.close();
  });
});

describe('slides on a projector', () => {
  // What an audience sees: each slide inside the screen, nothing clipped or scrolling sideways,
  // the controls below it, code no smaller than 0.85 of the prose beside it, and prose large
  // enough for the back row: 18 px at 1280×720 and as much larger as the screen is. A step too
  // long for that is split with slide breaks in lesson.md, not shrunk.
  for (const [width, height] of [[1280, 720], [1920, 1080]]) {
    it(`fit every slide of every lesson at ${width}×${height}`, async () => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      const smallest: string[] = [];
      for (const lesson of lessons) {
        await page.goto(`${base}/lessons/${lesson.id}.html#slide-1`);
        await page.locator('body.live-mode').waitFor();
        const count = await page.locator('.slide').count();
        let least = Infinity;
        for (let n = 1; n <= count; n++) {
          await page.evaluate((hash) => { location.hash = hash; }, `#slide-${n}`);
          await expect.poll(() => page.locator('.slide-number').textContent()).toBe(`${n} / ${count}`);
          const g = await page.evaluate(slideGeometry);
          const where = `${lesson.id} slide ${n} at ${width}×${height}: ${JSON.stringify(g)}`;
          expect(g.top, where).toBeGreaterThanOrEqual(0);
          expect(g.bottom, where).toBeLessThanOrEqual(g.controlsTop + 0.5);
          expect(g.left, where).toBeGreaterThanOrEqual(0);
          expect(g.right, where).toBeLessThanOrEqual(g.width);
          expect(g.clipped, where).toEqual([]);
          if (g.code && g.prose) expect(g.code / g.prose, where).toBeGreaterThanOrEqual(0.85);
          expect(g.font, where).toBeGreaterThanOrEqual(18 * Math.min(width / 1280, height / 720));
          least = Math.min(least, g.font);
        }
        smallest.push(`${lesson.id} ${least.toFixed(1)}px`);
        if (lesson === lessons[0]) await page.screenshot({ path: join(artifacts, `slides-${width}x${height}.png`) });
      }
      console.log(`smallest slide type at ${width}×${height}: ${smallest.join(', ')}`);
      await page.close();
    });
  }

  it('shows the manifest a step applies, folded, and still fits with it open', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${base}/lessons/${lessons[0].id}.html?slides`);
    await page.evaluate((id) => { location.hash = `#slide-${Array.from(document.querySelectorAll('.slide')).findIndex((s) => s.id === id) + 1}`; }, `step-${lessons[0].steps[1].id}`);
    await expect.poll(() => page.locator('.slide.current').getAttribute('id')).toBe(`step-${lessons[0].steps[1].id}`);
    const manifest = page.locator('.slide.current details.manifest');
    expect(await manifest.count()).toBe(1);
    expect(await manifest.getAttribute('open')).toBeNull();
    expect(await manifest.locator('pre').isVisible()).toBe(false);
    await manifest.locator('summary').click();
    expect(await manifest.locator('pre').innerText()).toContain('maxSurge: 1');
    // The fields the step's prose names are marked, and the box opens where they are.
    expect(await manifest.locator('mark').allInnerTexts()).toEqual(['maxSurge: 1', 'maxUnavailable: 1']);
    const inBox = await manifest.evaluate((d) => {
      const box = d.querySelector('pre')!.getBoundingClientRect(), mark = d.querySelector('mark')!.getBoundingClientRect();
      return mark.top >= box.top && mark.bottom <= box.bottom;
    });
    expect(inBox).toBe(true);
    // The slide still fits at a readable size; the file scrolls in its own box.
    await expect.poll(async () => (await page.evaluate(slideGeometry)).clipped).toEqual([]);
    expect((await page.evaluate(slideGeometry)).font).toBeGreaterThanOrEqual(12);
    await page.screenshot({ path: join(artifacts, 'slides-manifest-1280x720.png') });
    await page.close();
  });

  it('moves with the previous and next buttons, tapped or clicked, and keeps a URL per slide', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    await page.goto(`${base}/lessons/${lessons[0].id}.html`);
    const toggle = page.locator('.slides-toggle');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    const before = await toggle.evaluate((b) => getComputedStyle(b).backgroundColor);
    await toggle.tap();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    // Pressed looks pressed: the button fills with the accent colour.
    expect(await toggle.evaluate((b) => getComputedStyle(b).backgroundColor)).not.toBe(before);
    const isCurrent = (n: number) => page.locator('.slide').nth(n - 1).evaluate((s) => s.classList.contains('current'));
    await page.locator('.slide-controls .next').tap();
    await page.locator('.slide-controls .next').click();
    expect(await isCurrent(3)).toBe(true);
    expect(new URL(page.url()).hash).toBe('#slide-3');
    await page.locator('.slide-controls .prev').tap();
    expect(new URL(page.url()).hash).toBe('#slide-2');
    // The URL brings a reload back to the same slide.
    await page.reload();
    expect(await isCurrent(2)).toBe(true);
    expect(await page.locator('.slide-controls .prev').isVisible()).toBe(true);
    await page.screenshot({ path: join(artifacts, 'slides-phone.png') });
    await page.close();
  });
});

/** Where the current slide sits, which of its parts are cut off, and its type sizes. */
function slideGeometry() {
  const slide = document.querySelector<HTMLElement>('.slide.current')!;
  const r = slide.getBoundingClientRect();
  const cut = (el: Element) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
  const clipped = [slide, ...Array.from(slide.querySelectorAll('pre:not(.terminal):not(.program-log):not(.manifest pre), table'))].filter(cut).map((el) => el.tagName);
  const size = (el: Element | null) => (el ? parseFloat(getComputedStyle(el).fontSize) : 0);
  return {
    top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: innerWidth,
    controlsTop: document.querySelector('.slide-controls')!.getBoundingClientRect().top,
    clipped, font: parseFloat(slide.style.fontSize),
    prose: size(slide.querySelector('p')), code: size(slide.querySelector('.commands code, p code')),
  };
}

describe('phone', () => {
  it('has no horizontal overflow at 390×844 on any page, and links each lesson to its neighbours', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    for (const [i, path] of ['index.html', ...lessons.map((l) => `lessons/${l.id}.html`)].entries()) {
      await page.goto(`${base}/${path}`);
      if (i > 0) await page.locator('body.live-mode').waitFor();
      // What sticks out, by tag and class, so a failure names the culprit.
      const wide = await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 && !el.parentElement?.closest('pre, table'))
        .map((el) => `${el.tagName}.${el.className}`).slice(0, 5));
      expect({ path, scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth), wide }).toEqual({ path, scrollWidth: 390, wide: [] });
      if (i === 0) continue;
      const lesson = lessons[i - 1];
      const prev = lessons[i - 2], next = lessons[i];
      const href = (rel: string) => page.evaluate((r) => document.querySelector(`.lesson-nav a[rel=${r}]`)?.getAttribute('href') ?? null, rel);
      expect(await href('prev')).toBe(prev ? `${prev.id}.html` : null);
      expect(await href('next')).toBe(next ? `${next.id}.html` : null);
      if (lesson === lessons[0]) {
        await page.screenshot({ path: join(artifacts, 'phone-lesson.png') });
        await page.locator('.lesson-nav').scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(artifacts, 'phone-lesson-end.png') });
      }
    }
    await page.close();
  });

  it('has a favicon', async () => {
    expect(await raw('/favicon.ico')).toBe(200);
    expect(await raw('/assets/favicon.svg')).toBe(200);
  });
});

describe('static export', () => {
  it('works opened from disk, without the server and without live controls', async () => {
    await buildSite();
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(distDir, 'index.html')).href);
    expect(await page.locator('.curriculum li').count()).toBe(lessons.length);
    await page.locator('.curriculum a').first().click();
    await page.waitForURL(/lessons\/.*\.html$/);
    expect(await page.locator('section.step').count()).toBe(lessons[0].steps.length);
    expect(await page.locator('.live').first().isHidden()).toBe(true);
    expect(await page.locator('.live-panel').isHidden()).toBe(true);
    await page.close();
  });
});

/**
 * The transcript shows the step's commands in order, each as typed, and real output after each
 * one that prints something — at least one of them does.
 */
function expectCommandsWithOutput(step: Step, transcript: string): void {
  let at = 0;
  let printed = 0;
  const shown = step.commands.map((c) => (typeof c === 'object' && 'stop' in c ? `[${c.stop} terminal] $ Ctrl-C`
    : typeof c === 'object' && 'start' in c ? `[${c.terminal} terminal] $ ${c.start}` : `$ ${commandText(c)}`));
  for (const [i, line] of shown.entries()) {
    const found = transcript.indexOf(`${line}\n`, at);
    expect(found, `step ${step.id} shows ${line}\n${transcript}`).toBeGreaterThanOrEqual(at);
    at = found + line.length + 1;
    const next = i + 1 < shown.length ? transcript.indexOf(`${shown[i + 1]}\n`, at) : transcript.length;
    if (transcript.slice(at, next).split('\n').some((l) => l.trim() && !/^(#|…|ok:)/.test(l))) printed++;
  }
  expect(printed, `step ${step.id} shows output of its commands\n${transcript}`).toBeGreaterThan(0);
}

/** A raw HTTP request: fetch() would normalise `..` away before sending it. */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('live server refuses', () => {
  const own = () => ({ Origin: base });
  it('an unknown lesson or step id', async () => {
    expect(await raw('/api/lessons/declarative-deployment/steps/rm-rf/run', 'POST', own())).toBe(404);
    expect(await raw('/api/lessons/no-such-lesson/steps/namespace/run', 'POST', own())).toBe(404);
    expect(await raw('/api/lessons/declarative-deployment/steps/namespace/exec', 'POST', own())).toBe(404);
  });

  it('a post from another origin, or with none', async () => {
    expect(await raw('/api/lessons/declarative-deployment/steps/namespace/run', 'POST', { Origin: 'http://evil.example' })).toBe(403);
    expect(await raw('/api/lessons/declarative-deployment/steps/namespace/run', 'POST')).toBe(403);
  });

  it('paths that climb out of the site', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json']) {
      expect(await raw(path), path).toBeGreaterThanOrEqual(400);
    }
    expect(await raw('/index.html')).toBe(200);
  });

});

describe('server errors', () => {
  it('refuses a taken port in one line and exits 1', () => {
    // Its own TMPDIR, where a server builds its pages: still empty afterwards, so nothing was built.
    const scratch = mkdtempSync(join(tmpdir(), 'second-server-'));
    const second = spawnSync(process.execPath, ['site/server.ts'], {
      cwd: join(import.meta.dirname, '..'), env: { ...process.env, PORT: String(server.port), TMPDIR: scratch }, encoding: 'utf8', timeout: 30_000,
    });
    expect(second.status, second.stderr).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toBe(`port ${server.port} on 127.0.0.1 is taken (another npm start?): stop that server, or start this one with PORT=<another port>\n`);
    expect(readdirSync(scratch)).toEqual([]);
    rmSync(scratch, { recursive: true });
  });

  it('keeps serving whole pages while the site is rebuilt', async () => {
    const paths = ['/index.html', `/lessons/${lessons[0].id}.html`, '/assets/site.js', '/assets/site.css'];
    let building = true;
    const rebuilt = buildSite().then(() => buildSite()).finally(() => { building = false; });
    const statuses = new Set<number>();
    while (building) for (const path of paths) statuses.add(await raw(path));
    await rebuilt;
    expect([...statuses]).toEqual([200]);
  });
});
