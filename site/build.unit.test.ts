import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lessons } from '../patterns/catalog.ts';
import { buildSite } from './build.ts';
import { appliedFiles } from './render.ts';

const root = join(import.meta.dirname, '..');

describe('site build', () => {
  it('writes an index and one page per lesson', async () => {
    const out = await mkdtemp(join(tmpdir(), 'site-'));
    const pages = await buildSite(out);
    expect(pages).toEqual(['index.html', ...lessons.map((l) => `lessons/${l.id}.html`)]);
    const index = await readFile(join(out, 'index.html'), 'utf8');
    for (const lesson of lessons) expect(index).toContain(`href="lessons/${lesson.id}.html"`);
  });

  it('keeps every page light: at most 150 KB of JS and CSS', async () => {
    const out = await mkdtemp(join(tmpdir(), 'site-'));
    await buildSite(out);
    for (const lesson of lessons) {
      const html = await readFile(join(out, 'lessons', `${lesson.id}.html`), 'utf8');
      const assets = [...html.matchAll(/(?:src|href)="(\.\.\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThan(0);
      const sizes = await Promise.all(assets.map((a) => stat(join(out, 'lessons', a)).then((s) => s.size)));
      expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(150 * 1024);
    }
  });

  it('has a section per step, in order', async () => {
    const out = await mkdtemp(join(tmpdir(), 'site-'));
    await buildSite(out);
    for (const lesson of lessons) {
      const html = await readFile(join(out, 'lessons', `${lesson.id}.html`), 'utf8');
      const ids = [...html.matchAll(/<section class="step slide" id="step-([^"]+)"/g)].map((m) => m[1]);
      expect(ids).toEqual(lesson.steps.map((s) => s.id));
    }
  });

  it('shows every file a step applies, folded, exactly as the file reads', async () => {
    const out = await mkdtemp(join(tmpdir(), 'site-'));
    await buildSite(out);
    const unescape = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
    let shown = 0;
    for (const lesson of lessons) {
      const html = await readFile(join(out, 'lessons', `${lesson.id}.html`), 'utf8');
      for (const step of lesson.steps) {
        const section = html.slice(html.indexOf(`id="step-${step.id}"`)).split('</section>')[0];
        const manifests = [...section.matchAll(/<details class="manifest"><summary>[^]*?<span class="path">([^<]+)<\/span><\/summary><pre tabindex="0"><code class="yaml">([^]*?)<\/code><\/pre><\/details>/g)];
        expect(manifests.map((m) => m[1]), step.id).toEqual(appliedFiles(step));
        for (const [, path, code] of manifests) expect(unescape(code), path).toBe(await readFile(join(root, path), 'utf8'));
        shown += manifests.length;
      }
    }
    expect(shown).toBeGreaterThan(20);
  });

  it('marks in each shown manifest the fields its step names in backticks, and no others', async () => {
    const out = await mkdtemp(join(tmpdir(), 'site-'));
    await buildSite(out);
    const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))).trim();
    const marked: Record<string, string[]> = {};
    for (const lesson of lessons) {
      const html = await readFile(join(out, 'lessons', `${lesson.id}.html`), 'utf8');
      for (const step of lesson.steps) {
        // The step's prose may start on slides of its own before the step's section.
        const from = html.search(new RegExp(`<section class="step(-prose)? slide"[^>]*data-step="${step.id}"`));
        const section = html.slice(from, html.indexOf('</section>', html.indexOf(`id="step-${step.id}"`)));
        const prose = section.replace(/<details class="manifest">[^]*?<\/details>/g, '');
        const marks = [...section.matchAll(/<mark>([^]*?)<\/mark>/g)].map((m) => text(m[1]));
        for (const mark of marks) {
          const key = mark.split(':')[0];
          expect(prose, `${step.id}: ${mark}`).toMatch(new RegExp(`<code>${key}(: [^<]*)?</code>`));
        }
        if (marks.length) marked[`${lesson.id}/${step.id}`] = [...new Set(marks)];
      }
    }
    // What lesson 1's prose points at in its manifests, exactly.
    expect(marked['declarative-deployment/rolling-deploy']).toEqual(['maxSurge: 1', 'maxUnavailable: 1']);
    expect(marked['declarative-deployment/recreate']).toEqual(['strategy:']);
    expect(marked['sidecar/native-sidecar']).toEqual(['initContainers:', 'restartPolicy: Always']);
    expect(Object.keys(marked).length).toBeGreaterThan(10);
  });
});
