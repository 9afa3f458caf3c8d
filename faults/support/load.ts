/** What a client saw: the status (0 when the connection failed), headers and parsed body. */
export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** One HTTP request; a refused or dropped connection is an answer with status 0, not a throw. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const response = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (e.g. /metrics); kept as text.
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  } catch {
    return { status: 0, headers: new Headers(), body: undefined as T };
  }
}

/**
 * Closed-loop load: `clients` loops, each calling `step` again as soon as the last call
 * returned, until `durationMs` has passed or `maxSteps` steps were started in all. Bounded in
 * time and count, so it always stops by itself.
 */
export async function closedLoop(options: { clients: number; durationMs: number; maxSteps: number }, step: (index: number) => Promise<void>): Promise<number> {
  const until = Date.now() + options.durationMs;
  let started = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (Date.now() < until && started < options.maxSteps) {
        started += 1;
        await step(started);
      }
    }),
  );
  return started;
}
