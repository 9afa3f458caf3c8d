import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

export interface Interrupts {
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** Stops listening: from then on a signal has its default effect again. */
  dispose(): void;
}

/**
 * Ctrl-C handling for a full-screen view. The first SIGINT or SIGTERM aborts `signal`, so the
 * view stops and closes normally. A second one means "now": `onSecond` runs at once, whatever
 * the view is waiting for; it must restore the terminal and exit. Listening with `on`, not
 * `once`, is the point: between the two signals the process must not be left with no handler,
 * where a signal would kill it with the terminal still in the view's state (cursor hidden).
 */
export function listenForInterrupts(
  onSecond: (signal: InterruptSignal) => void,
  emitter: Pick<NodeJS.EventEmitter, 'on' | 'off'> = process,
): Interrupts {
  const controller = new AbortController();
  const handler = (signal: InterruptSignal) => {
    if (controller.signal.aborted) onSecond(signal);
    else controller.abort();
  };
  for (const signal of SIGNALS) emitter.on(signal, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const signal of SIGNALS) emitter.off(signal, handler);
    },
  };
}

/** The shell's convention for a process ended by a signal: 128 + its number (130 for SIGINT). */
export const signalExitCode = (signal: InterruptSignal) => 128 + constants.signals[signal];

/**
 * `work`, or a rejection with the abort reason as soon as `signal` aborts, whichever comes
 * first. `work` is not cancelled (nothing can cancel a Redis command in flight); its outcome is
 * still handled, so a late rejection is not reported as unhandled.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      work.catch(() => undefined);
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
