// The kind image (sidecars/Dockerfile) and the real node's image (kind/images/) must
// hold the same /app. Both follow image-content.ts; these tests fail when the Dockerfile or
// .dockerignore says something else.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKSHOP_CONFIG } from './workshop-image.ts';
import { APP_EXCLUDES, APP_PATHS, appFiles, isExcluded, productionPackages } from './image-content.ts';

const root = join(import.meta.dirname, '../..');
const dockerfile = (await readFile(join(root, 'sidecars', 'Dockerfile'), 'utf8')).split('\n').filter((line) => /^[A-Z]+ /.test(line));
const instructions = (name: string) => dockerfile.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1));

describe('the Dockerfile', () => {
  it('copies exactly APP_PATHS, each to the same path under /app', () => {
    const sources = instructions('COPY').flatMap((line) => {
      const words = line.split(/\s+/);
      const destination = words.pop()!;
      for (const source of words) expect(destination === './' || destination === source, `${source} → ${destination}`).toBe(true);
      return words;
    });
    expect(sources.sort()).toEqual([...APP_PATHS].sort());
  });

  it('installs the production dependencies from the lock file, as the real node image copies them', () => {
    expect(instructions('RUN').join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('sets what the real node image sets', () => {
    expect(instructions('WORKDIR')).toEqual([WORKSHOP_CONFIG.WorkingDir]);
    expect(instructions('USER')).toEqual([WORKSHOP_CONFIG.User]);
    expect(instructions('CMD').map((line) => JSON.parse(line))).toEqual([WORKSHOP_CONFIG.Cmd]);
    expect(instructions('EXPOSE').map((port) => `${port}/tcp`)).toEqual(Object.keys(WORKSHOP_CONFIG.ExposedPorts!));
  });
});

describe('.dockerignore', () => {
  const lines = (async () => (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n').filter((line) => line && !line.startsWith('#')))();

  it('holds every exclusion', async () => {
    expect(await lines).toEqual(expect.arrayContaining(APP_EXCLUDES));
  });

  it('excludes nothing else from the copied paths', async () => {
    const others = (await lines).filter((line) => !APP_EXCLUDES.includes(line));
    for (const line of others) expect(line.startsWith('**') || APP_PATHS.some((path) => line.startsWith(path.replace(/\/$/, ''))), line).toBe(false);
  });
});

describe('appFiles', () => {
  it('holds the programs, the operators and the production packages, and no tests', async () => {
    const files = await appFiles(root);
    expect(files).toEqual(expect.arrayContaining([
      'package.json',
      'sidecars/sample-app/main.ts',
      'operator/config-watcher/main.ts',
      'operator/clowder/client/load.ts',
      'node_modules/@kubernetes/client-node/package.json',
    ]));
    expect(files.filter((file) => !file.startsWith('node_modules/') && (file.endsWith('.test.ts') || isExcluded(file)))).toEqual([]);
    expect(files.some((file) => file.startsWith('sidecars/testing/'))).toBe(false);
  });

  it('takes the packages npm ci --omit=dev installs: no development dependency', async () => {
    const packages = await productionPackages(root);
    expect(packages).toEqual(expect.arrayContaining(['node_modules/@kubernetes/client-node', 'node_modules/js-yaml']));
    for (const dev of ['node_modules/vitest', 'node_modules/typescript', 'node_modules/node', 'node_modules/ajv']) expect(packages).not.toContain(dev);
  });
});

describe('isExcluded', () => {
  it('reads ** patterns at any depth and other patterns as a path and everything under it', () => {
    expect(isExcluded('sidecars/sample-app/main.test.ts')).toBe(true);
    expect(isExcluded('operator/config-watcher/testing/fixtures.ts')).toBe(true);
    expect(isExcluded('sidecars/testing/run-program.ts')).toBe(true);
    expect(isExcluded('operator/clowder/schema/NOTICE.md')).toBe(true);
    expect(isExcluded('operator/clowder/schemas.ts')).toBe(false);
    expect(isExcluded('sidecars/sample-app/main.ts')).toBe(false);
  });
});
