// The lesson prose and the step modules must tell the same story: one `### Step N: Title`
// heading per step, in order; every manifest a command names exists, and every manifest is used.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lessons } from '../patterns/catalog.ts';
import { commandText } from '../patterns/lesson.ts';

const root = join(import.meta.dirname, '..');

describe.each(lessons)('lesson $id', (lesson) => {
  const prose = readFileSync(join(root, lesson.dir, 'lesson.md'), 'utf8');
  const commands = lesson.steps.flatMap((s) => s.commands.map(commandText)).join('\n');

  it('lives in patterns/NN-<id>/', () => {
    expect(lesson.dir).toBe(`patterns/${String(lesson.number).padStart(2, '0')}-${lesson.id}`);
  });

  it('has one heading per step, in order, with the same titles', () => {
    const headings = [...prose.matchAll(/^### Step (\d+): (.+)$/gm)].map((m) => `${m[1]}: ${m[2].trim()}`);
    expect(headings).toEqual(lesson.steps.map((s, i) => `${i + 1}: ${s.title}`));
  });

  it('gives every step a unique kebab-case id, commands, a hint, a solution and an expected result', () => {
    const ids = lesson.steps.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const step of lesson.steps) {
      expect(step.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(step.commands.length, step.id).toBeGreaterThan(0);
      expect(step.hint && step.solution && step.expected, step.id).toBeTruthy();
    }
  });

  it('names only manifests that exist, and uses every manifest it ships', () => {
    for (const [, file] of commands.matchAll(/-f (\S+\.ya?ml)/g)) expect(existsSync(join(root, file)), file).toBe(true);
    const dir = join(root, lesson.dir, 'manifests');
    const shipped = existsSync(dir) ? readdirSync(dir) : [];
    for (const file of shipped) expect(commands, `${file} is never applied`).toContain(`${lesson.dir}/manifests/${file}`);
  });

  it('never applies a remote URL', () => {
    expect(commands).not.toMatch(/-f https?:/);
  });

  it('ends with a question to observe', () => {
    expect(prose.trim().split('\n').at(-1)).toMatch(/\?$/);
  });
});
