// npm run site:build — writes the static site to site/dist. It works from any static host or
// straight from disk; the live parts (Run/Check, the cluster panel) appear only under `npm start`.
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lessons } from '../patterns/catalog.ts';
import { appliedFiles, renderIndex, renderLesson } from './render.ts';

const root = join(import.meta.dirname, '..');
export const distDir = join(import.meta.dirname, 'dist');

/**
 * Builds into a sibling directory and swaps it in at the end: a failed build leaves the last
 * good site in place, and whatever serves `out` meanwhile keeps serving whole pages.
 */
export async function buildSite(out = distDir): Promise<string[]> {
  const next = await mkdtemp(`${out}.next-`);
  const old = `${next}.old`;
  const written = await writeSite(next);
  await rename(out, old).catch((e) => { if (e.code !== 'ENOENT') throw e; });
  await rename(next, out);
  await rm(old, { recursive: true, force: true });
  return written;
}

async function writeSite(out: string): Promise<string[]> {
  await mkdir(join(out, 'lessons'), { recursive: true });
  await cp(join(import.meta.dirname, 'assets'), join(out, 'assets'), { recursive: true });
  const written = ['index.html'];
  await writeFile(join(out, 'index.html'), renderIndex(lessons));
  for (const [i, lesson] of lessons.entries()) {
    const prose = await readFile(join(root, lesson.dir, 'lesson.md'), 'utf8');
    const manifests: Record<string, string> = {};
    for (const path of lesson.steps.flatMap(appliedFiles)) manifests[path] = await readFile(join(root, path), 'utf8');
    await writeFile(join(out, 'lessons', `${lesson.id}.html`), renderLesson(lesson, prose, { prev: lessons[i - 1], next: lessons[i + 1], manifests }));
    // Diagrams live next to lesson.md; the page refers to them as lessons/<id>/<file>.
    for (const file of (await readdir(join(root, lesson.dir))).filter((f) => f.endsWith('.svg'))) {
      await mkdir(join(out, 'lessons', lesson.id), { recursive: true });
      await cp(join(root, lesson.dir, file), join(out, 'lessons', lesson.id, file));
    }
    written.push(`lessons/${lesson.id}.html`);
  }
  return written;
}

if (import.meta.main) {
  const pages = await buildSite();
  console.log(`site: ${pages.length} pages in ${distDir}`);
}
