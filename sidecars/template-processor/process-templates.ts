// Reading templates and parameters, rendering all of them, and only then writing anything.
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../shared/atomic-write.ts';
import type { Config } from './config.ts';
import { missingParams, render } from './render.ts';

/** Names every template that uses a parameter PARAMS_DIR lacks, with the parameters it lacks. */
export class MissingParamsError extends Error {
  missing: Record<string, string[]>;
  constructor(paramsDir: string, missing: Record<string, string[]>) {
    const list = Object.entries(missing).map(([template, names]) => `${template} needs ${names.join(', ')}`);
    super(`missing parameters (add them to ${paramsDir}): ${list.join('; ')}`);
    this.missing = missing;
  }
}

/** Renders every template into config.outputDir and returns the names of the files written. */
export async function processTemplates(config: Config): Promise<string[]> {
  const params = await readParams(config.paramsDir);
  const templates =
    config.templates.kind === 'file'
      ? new Map([[basename(config.templates.path), await readFile(config.templates.path, 'utf8')]])
      : await readFiles(config.templates.path);

  // Check every template before writing the first file. An init container that stops half-way
  // would leave the app a mix of rendered and missing files; this way it gets all or nothing,
  // and the message lists everything to fix at once instead of one name per failed start.
  const missing: Record<string, string[]> = {};
  for (const [name, text] of templates) {
    const names = missingParams(text, params);
    const where = config.templates.kind === 'file' ? config.templates.path : join(config.templates.path, name);
    if (names.length) missing[where] = names;
  }
  if (Object.keys(missing).length) throw new MissingParamsError(config.paramsDir, missing);

  await mkdir(config.outputDir, { recursive: true });
  for (const [name, text] of templates) await writeFileAtomic(join(config.outputDir, name), render(text, params));
  return [...templates.keys()];
}

/**
 * One parameter per file, the file name being the parameter's name. One trailing newline is
 * dropped: `value: |` in YAML and most editors add one, and "8080\n" in the middle of a line
 * would break it.
 */
async function readParams(dir: string): Promise<Map<string, string>> {
  const files = await readFiles(dir);
  return new Map([...files].map(([name, text]) => [name, text.replace(/\r?\n$/, '')]));
}

/**
 * The regular files directly in dir, by name, sorted. Names starting with a dot are skipped: in a
 * mounted ConfigMap they are the kubelet's bookkeeping (`..data` and friends), not keys.
 */
async function readFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if ((await stat(path)).isFile()) files.set(name, await readFile(path, 'utf8'));
  }
  return files;
}
