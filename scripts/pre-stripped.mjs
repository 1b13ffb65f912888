// node --import ./scripts/pre-stripped.mjs …: runs the kit's TypeScript with its types stripped
// ahead of time, in another process. Node strips types itself, but its stripper (swc, compiled to
// WebAssembly) stays loaded for the life of the process: about 20 MB, a fifth of what the Clowder
// operator needs in all. So `npm run operator` loads each .ts file through this hook instead: the
// same file, at the same URL (import.meta.url, relative imports and assets behave as before),
// with its source replaced by the stripped JavaScript, which a child process made once and a
// cache keeps under the hash of the TypeScript source (and Node's version). Edit a file, and its next load strips it anew.
// Plain JavaScript, on purpose: a .ts file here would load the stripper into this very process.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The kit's cache folder, as kind/workshop.ts names it.
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'k8s-patterns-workshop', 'stripped');
const STRIP = "import { stripTypeScriptTypes } from 'node:module'; import { text } from 'node:stream/consumers'; process.stdout.write(stripTypeScriptTypes(await text(process.stdin)));";

registerHooks({
  load(url, context, next) {
    if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return next(url, context);
    const source = readFileSync(fileURLToPath(url), 'utf8');
    const file = join(cache, `${createHash('sha256').update(`${process.version}\n${source}`).digest('hex')}.js`);
    if (!existsSync(file)) {
      const stripped = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', STRIP], { input: source, encoding: 'utf8' });
      mkdirSync(cache, { recursive: true });
      writeFileSync(`${file}.${process.pid}`, stripped); // renamed when whole: another process may read it at once
      renameSync(`${file}.${process.pid}`, file);
    }
    return { format: 'module', source: readFileSync(file, 'utf8'), shortCircuit: true };
  },
});
