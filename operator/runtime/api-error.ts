// What the API server said when it did not do what we asked. client-node throws an error whose
// `code` is the HTTP status and whose `body` is the API server's Status object as text, and its
// `message` says which method failed; a watch that fails carries `statusCode`; a request that
// never reached the server has only a message, with the socket's reason (ECONNREFUSED, …) in its
// cause. The Status message is the one worth showing: it names the rule that was broken, in the
// words kubectl would print.
export interface ApiError {
  /** The HTTP status, when the server answered. */
  code?: number;
  message: string;
}

export function apiError(error: unknown): ApiError {
  const e = error as { code?: unknown; statusCode?: unknown; body?: unknown; message?: string; cause?: { code?: string } };
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const said = statusMessage(e.body);
  if (said) return { code, message: said };
  return { code, message: [e.cause?.code, e.message].filter(Boolean).join(' ') || String(error) };
}

/** The error in one line for a log: `422 Deployment.apps "web" is invalid: …`. */
export function describeApiError(error: unknown): string {
  const { code, message } = apiError(error);
  return code ? `${code} ${message}` : message;
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body) return (body as { message?: string }).message || undefined;
  if (typeof body !== 'string' || !body) return undefined;
  try {
    return (JSON.parse(body) as { message?: string }).message || undefined;
  } catch {
    return body; // not a Status: a proxy's or a webhook's own text
  }
}
