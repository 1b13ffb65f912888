// The kit's layers, bottom to top, and the one rule between them: a file imports only from its own
// layer or from layers below. Test code (test/, testing/ folders, *.test.ts) may import anything;
// nothing else imports test code, except the benchmarks, which build their input with the tests'
// fixtures.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const LAYERS: [layer: string, folders: string[]][] = [
  ['cluster library', ['kind/']],
  ['controller runtime', ['operator/runtime/']],
  ['operators', ['operator/']],
  ['lessons and the programs in their pods', ['patterns/', 'sidecars/']],
  ['entry points and the site', ['scripts/', 'site/']],
];

const FOLDERS = ['kind', 'operator', 'patterns', 'sidecars', 'scripts', 'site', 'test'];

/** The TypeScript files of the kit's folders, as repository-relative paths. */
async function sourceFiles(): Promise<string[]> {
  const lists = await Promise.all(FOLDERS.map(async (folder) => (await readdir(folder, { recursive: true })).map((file) => join(folder, file))));
  return lists.flat().filter((path) => path.endsWith('.ts') && !path.includes('node_modules'));
}

const isTestCode = (path: string) => path.startsWith('test/') || path.includes('/testing/') || path.endsWith('.test.ts');

function layerOf(path: string): number {
  const index = LAYERS.findIndex(([, folders]) => folders.some((folder) => path.startsWith(folder)));
  return index < 0 ? LAYERS.length : index;
}

/** Repository-relative paths of what a file imports from this repository, statically or dynamically. */
function importsOf(path: string, source: string): string[] {
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s*)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers.map((specifier) => normalize(join(dirname(path), specifier)));
}

describe('layers', () => {
  it('has no import pointing up a layer, and no production file importing test code', async () => {
    const files = (await sourceFiles()).filter((path) => !isTestCode(path));
    const wrong: string[] = [];
    for (const path of files) {
      for (const target of importsOf(path, await readFile(path, 'utf8'))) {
        if (isTestCode(target) && !path.startsWith('scripts/bench/')) wrong.push(`${path} imports test code ${target}`);
        else if (layerOf(target) > layerOf(path)) wrong.push(`${path} (${LAYERS[layerOf(path)]?.[0] ?? 'top level'}) imports ${target} (${LAYERS[layerOf(target)]?.[0] ?? 'top level'})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('sees every import form the kit uses', () => {
    const source = "import { a } from './a.ts';\nimport './b.ts';\nconst c = () => import('../c.ts');\nexport { d } from './d.ts';";
    expect(importsOf('x/y.ts', source).map((p) => relative('.', p))).toEqual(['x/a.ts', 'x/b.ts', 'c.ts', 'x/d.ts']);
  });
});
