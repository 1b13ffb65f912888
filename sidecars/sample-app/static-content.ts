// Serving files from CONTENT_DIR under /content/, without ever serving a file outside it.
// In the sidecar lesson CONTENT_DIR is an emptyDir that the content-sync sidecar fills; the app
// knows nothing about where the content comes from.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative } from 'node:path';
import { sendText } from '../shared/http-server.ts';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Finds the file that a path below /content/ names, or undefined if it must not be served.
 * Two independent checks, because a request path is attacker input:
 * 1. No segment may start with a dot. That refuses `..` (also when sent as `..%2f`, which the URL
 *    parser leaves alone and we decode) and hidden files, such as the temporary files that
 *    content-sync renames into place and the `..data` links of a mounted ConfigMap.
 * 2. The real path, after following symbolic links, must still lie inside the real CONTENT_DIR.
 *    A ConfigMap volume is made of links that stay inside it; a link pointing out is refused.
 */
export async function resolveContentFile(contentDir: string, pathBelowContent: string): Promise<string | undefined> {
  let relativePath: string;
  try {
    relativePath = decodeURIComponent(pathBelowContent);
  } catch {
    return undefined; // malformed %-encoding
  }
  if (relativePath === '' || relativePath.endsWith('/')) relativePath += 'index.html';
  const segments = relativePath.split('/');
  if (segments.some((segment) => segment.startsWith('.') || segment.includes('\0'))) return undefined;
  try {
    const root = await realpath(contentDir);
    const file = await realpath(join(root, ...segments));
    const inside = relative(root, file);
    if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined; // missing file or CONTENT_DIR: a plain 404
  }
}

export async function serveContent(contentDir: string | undefined, pathBelowContent: string, res: ServerResponse): Promise<void> {
  if (!contentDir) return sendText(res, 404, 'no content: CONTENT_DIR is not set\n');
  const file = await resolveContentFile(contentDir, pathBelowContent);
  if (!file) return sendText(res, 404, 'not found\n');
  res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' });
  // Streaming keeps memory flat for large files; the file is whole because writers rename into place.
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
