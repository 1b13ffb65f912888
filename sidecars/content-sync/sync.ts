// One sync: read every file of the source, then make TARGET_DIR hold exactly those files.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../shared/atomic-write.ts';
import type { Source } from './config.ts';

export interface Changes {
  added: string[];
  updated: string[];
  removed: string[];
}

/** Copies the source into targetDir and reports which files changed (file names, sorted). */
export async function syncOnce(source: Source, targetDir: string): Promise<Changes> {
  // Read the whole source before touching the target: if reading fails half-way (the URL times
  // out), the web server keeps serving the last complete copy rather than a mix.
  const wanted = source.kind === 'url' ? await readUrl(source.url) : await readDirectory(source.path);
  const present = await readDirectory(targetDir);
  const changes: Changes = { added: [], updated: [], removed: [] };

  for (const [name, content] of wanted) {
    const old = present.get(name);
    // Unchanged files are not rewritten: no needless writes, and the log shows only real changes.
    if (old?.equals(content)) continue;
    await writeFileAtomic(join(targetDir, name), content);
    (old ? changes.updated : changes.added).push(name);
  }
  // The target mirrors the source, so a file deleted from the ConfigMap disappears from the site.
  // (A URL source is a single file; the target then holds just that one.)
  for (const name of present.keys()) {
    if (wanted.has(name)) continue;
    await rm(join(targetDir, name), { force: true });
    changes.removed.push(name);
  }
  for (const list of Object.values(changes)) list.sort();
  return changes;
}

/**
 * The regular files directly in dir, by name. Names starting with a dot are skipped: a mounted
 * ConfigMap keeps its real files in `..data/` and `..2024_…/` and shows each key as a link to them,
 * and our own temporary files start with a dot too. stat() follows those links, so the keys count
 * as files. Subdirectories are not copied; a ConfigMap has none.
 */
async function readDirectory(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).isFile()) files.set(name, await readFile(path));
    } catch (error) {
      // When a key is deleted from a ConfigMap, the kubelet first points `..data` at the new
      // version and only then removes the key's link, which dangles for that moment. A dangling
      // link is a file on its way out, not a reason to fail the whole sync.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return files;
}

// A slow server must not stall the loop forever; the next interval simply tries again.
const fetchTimeoutMs = 10_000;

async function readUrl(url: URL): Promise<Map<string, Buffer>> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
  // An error page is not content: keep what we have rather than publish "404 Not Found".
  if (!answer.ok) throw new Error(`GET ${url.href} answered ${answer.status} ${answer.statusText}`);
  // The file keeps the last segment of the URL's path; a URL ending in "/" names the site's index.
  const name = basename(url.pathname) || 'index.html';
  return new Map([[name, Buffer.from(await answer.arrayBuffer())]]);
}
