import { request, type JsonResponse } from '@flash-sale/testing';

/** What a client saw: the status (0 when the connection failed), headers and parsed body. */
export type Answer<T = any> = JsonResponse<T>;

/** One HTTP request; a refused or dropped connection is an answer with status 0, not a throw. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<Answer<T>> {
  try {
    return await request<T>(base, method, path, options);
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
