// Forwarding one HTTP request to the backend and its answer back to the app.
// The app always calls localhost; everything about reaching the real service (where it is, whether
// to retry, what to say when it is down) lives here. Swapping the backend means changing TARGET_URL
// in the pod spec; the app's code and image stay the same.
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendJson } from '../shared/http-server.ts';
import type { Logger } from '../shared/log.ts';

// A backend that accepts a connection and then says nothing must not hold the app's request forever.
const timeoutMs = 10_000;
// A short pause before a retry: a backend that is just starting gets a moment, a user hardly notices.
const retryDelayMs = 200;

class BackendTimeout extends Error {}

// Headers about one connection, not about the request (RFC 9110, section 7.6.1). They describe the
// hop from the app to us, not the hop from us to the backend, so they are not passed on; Node sets
// its own (e.g. transfer-encoding) for each side.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function createProxy(target: URL, retries: number, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = targetUrlFor(target, req.url ?? '/');
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    // Retries cover the everyday failures between pods: a kept-alive connection the backend has just
    // closed (ECONNRESET) or a backend that is restarting (ECONNREFUSED). Only a request without a
    // body can be sent twice (the body has been streamed away after the first attempt), and only
    // GET and HEAD are safe to repeat: a retried POST might place an order twice.
    const attempts = 1 + (!hasBody && (req.method === 'GET' || req.method === 'HEAD') ? retries : 0);

    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await send(url, req, hasBody);
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        // A backend dying halfway through its answer: cut our answer too, so the app sees an error
        // rather than a body that looks complete.
        answer.on('error', () => res.destroy()).pipe(res);
        log.info('forwarded', { method: req.method, path: req.url, target: url.href, status: answer.statusCode });
        return;
      } catch (error) {
        const timedOut = error instanceof BackendTimeout;
        // No retry after a timeout: the backend is up but slow, and asking again makes that worse.
        if (!timedOut && attempt < attempts) {
          await sleep(retryDelayMs);
          continue;
        }
        const cause = timedOut ? `no answer within ${timeoutMs / 1000} s` : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
        log.warn('backend unreachable', { method: req.method, path: req.url, target: url.href, attempts: attempt, cause });
        // 502/504 with a JSON body the app can show as it is: it says which backend failed and how.
        return sendJson(res, timedOut ? 504 : 502, { error: `backend ${target.origin} is unreachable`, target: url.href, cause, attempts: attempt });
      }
    }
  };
}

/** The request's path and query appended to TARGET_URL's own path, on TARGET_URL's host. */
export function targetUrlFor(target: URL, requestUrl: string): URL {
  const queryStart = requestUrl.indexOf('?');
  const path = queryStart === -1 ? requestUrl : requestUrl.slice(0, queryStart);
  const url = new URL(target);
  // Set the parts one by one, never new URL(requestUrl, target): a request for "//other.host/x" would
  // then be sent to other.host.
  url.pathname = target.pathname.replace(/\/$/, '') + path;
  url.search = queryStart === -1 ? '' : requestUrl.slice(queryStart);
  return url;
}

function send(url: URL, req: IncomingMessage, hasBody: boolean): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = withoutHopByHop(req.headers);
    // The backend sees its own name as Host, as if called directly; virtual hosts and redirects
    // built from Host then work.
    headers.host = url.host;
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: req.method, headers });
    request.setTimeout(timeoutMs, () => request.destroy(new BackendTimeout()));
    request.on('response', resolve).on('error', reject);
    if (hasBody) req.pipe(request);
    else request.end();
  });
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}
