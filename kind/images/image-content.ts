// What the workshop image holds under /app: the one definition both builds follow, so the image
// kind runs and the image a real node runs cannot drift apart.
// - sidecars/Dockerfile (kind) copies exactly APP_PATHS and runs `npm ci --omit=dev`;
//   .dockerignore holds exactly APP_EXCLUDES for those paths. image-content.unit.test.ts checks both.
// - kind/images/workshop-image.ts (a real node, no Docker) copies appFiles().
import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** Repository paths copied to /app; a trailing slash marks a folder. */
export const APP_PATHS = [
  // "type": "module", which makes Node read our .ts files as ES modules. The lock file lets
  // `npm ci` install exactly the versions this repository's node_modules holds.
  'package.json',
  'package-lock.json',
  // The programs the lesson pods run.
  'sidecars/',
  // The operators' in-cluster mode (operator/config-watcher/main.ts) and the Clowder client the
  // sample app reads a ClowdApp's config with.
  'operator/',
];

/** What is left out of APP_PATHS, in .dockerignore syntax: support for tests and benchmarks only. */
export const APP_EXCLUDES = [
  '**/*.test.ts',
  // Test support, beside the code it tests.
  'sidecars/testing',
  'operator/clowder/testing',
  'operator/config-watcher/testing',
  // The tests' check of what the operator writes against Clowder's JSON Schema; it needs ajv, a
  // development dependency.
  'operator/clowder/config/schema.ts',
  'operator/clowder/schema',
];

/** Whether a repository-relative path (forward slashes) is excluded by APP_EXCLUDES. */
export function isExcluded(path: string): boolean {
  return APP_EXCLUDES.some((pattern) =>
    pattern.startsWith('**/')
      ? posix.matchesGlob(posix.basename(path), pattern.slice(3))
      : path === pattern || path.startsWith(`${pattern}/`),
  );
}

/**
 * The package folders `npm ci --omit=dev` installs, read from the same lock file it reads.
 * (`npm ls --omit=dev` would also list extraneous folders, such as the one the `node` package's
 * install script leaves behind.) Nested folders (a/node_modules/b) come with their parent.
 */
export async function productionPackages(root: string): Promise<string[]> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const topLevel = (path: string) => path.lastIndexOf('node_modules/') === 0; // '' is the project itself
  return Object.entries(lock.packages)
    .filter(([path, entry]) => topLevel(path) && !entry.dev)
    .map(([path]) => path)
    .sort();
}

/** Every file for /app, repository-relative: APP_PATHS without APP_EXCLUDES, then the production packages. */
export async function appFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  // A package's own files are never excluded: its *.test.ts or testing/ are its business.
  const walk = async (dir: string, exclude: (path: string) => boolean): Promise<void> => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = posix.join(dir, entry.name);
      if (exclude(path)) continue;
      if (entry.isDirectory()) await walk(path, exclude);
      else files.push(path);
    }
  };
  for (const path of APP_PATHS) {
    if (path.endsWith('/')) await walk(path.slice(0, -1), isExcluded);
    else files.push(path);
  }
  for (const pkg of await productionPackages(root)) await walk(pkg, () => false);
  return files.sort();
}
