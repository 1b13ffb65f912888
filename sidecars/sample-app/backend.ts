// GET /backend: the app calls "its backend" at BACKEND_URL, which by default is localhost:9000.
// In the ambassador lesson that is the ambassador container in the same pod: the app neither knows
// nor cares where the real backend lives, how to reach it, or whether it is being swapped.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../shared/http-server.ts';

// Without a limit, a backend that accepts the connection but never answers would hold the
// request (and the user) forever.
const timeoutMs = 5000;

export async function proxyToBackend(backendUrl: URL, res: ServerResponse): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(backendUrl, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    // 502 Bad Gateway: we are fine, the thing behind us is not. The cause (ECONNREFUSED, a timeout,
    // an unknown host) is what someone debugging the pod needs to see.
    return sendJson(res, 502, { error: `backend ${backendUrl.href} did not answer: ${describe(error)}` });
  }
  // Pass the backend's answer through unchanged, including an error status from the ambassador.
  const body = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, {
    'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
    'content-length': body.length,
  });
  res.end(body);
}

// fetch() reports every network problem as "fetch failed"; the useful part is in error.cause.
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}
