// Accessibility of every page an attendee or instructor opens, as axe-core (the engine behind
// most accessibility checkers) judges it in a real Chromium: the index, each lesson as a page, the
// same lesson as slides, and its presenter view. Served live, so the Run/Check buttons and the
// cluster panel are on the page too. Only serious and critical findings fail the test: those stop
// someone from reading or using a part of the page (contrast, missing names, broken structure).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessons } from '../patterns/catalog.ts';
import { startServer } from '../site/server.ts';
import { findChromium } from '../scripts/doctor/browser.ts';
import { testKubeConfig } from './cluster.ts';

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let base: string;

beforeAll(async () => {
  server = await startServer(0, testKubeConfig());
  base = `http://127.0.0.1:${server.port}`;
  browser = await chromium.launch({
    executablePath: (await findChromium()).path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Finding { id: string; impact: string; help: string; count: number; targets: string[] }

/** axe's serious and critical findings on the page as it is now: one entry per rule, with the first few elements. */
async function seriousFindings(page: Page): Promise<Finding[]> {
  await page.addScriptTag({ content: await axeSource });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<{ violations: Array<{
    id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run());
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, count: v.nodes.length, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}

describe('accessibility (axe-core)', () => {
  it('finds nothing serious on the index', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/index.html`);
    expect(await seriousFindings(page)).toEqual([]);
    await page.close();
  });

  it.each(lessons)('finds nothing serious on lesson $id as a page, as slides, and in the presenter view', async (lesson) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const found: Record<string, Finding[]> = {};
    for (const view of ['', '?slides', '?presenter']) {
      await page.goto(`${base}/lessons/${lesson.id}.html${view}`);
      await page.locator('body.live-mode').waitFor();
      // Open what a reader opens, so that folded manifests, hints and solutions are judged too.
      if (!view) for (const details of await page.locator('details').all()) await details.evaluate((d) => { (d as HTMLDetailsElement).open = true; });
      const findings = await seriousFindings(page);
      if (findings.length) found[view || 'page'] = findings;
    }
    expect(found).toEqual({});
    await page.close();
  });
});
