/**
 * Rejects when `work` has not settled within `ms`. The stores' clients wait a long time on their
 * own (BullMQ waits for its connection forever, ignoring ioredis's fail-fast options; Prisma's
 * pool about 5 s), and a request, a health probe or an operator needs an answer sooner.
 * `timeout` is what the call was doing (for the message), or the error to reject with.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, timeout: string | (() => Error)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(typeof timeout === 'string' ? new Error(`${timeout}: no answer within ${ms} ms`) : timeout()),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
