/** An HTTP answer with its body parsed as JSON (the text when it is not JSON; undefined when empty). */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A real HTTP request to a service under test: `body` is sent as JSON, `rawBody` as it is. Gives
 * up after `timeoutMs` (30 s), so a test never hangs on a service that stopped answering.
 */
export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; rawBody?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parsed(text) as T };
}

function parsed(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (e.g. /metrics): the text itself.
    return text;
  }
}
