/**
 * Wraps a read so that calls for one key made in the same turn of the event loop share a single
 * call, started once that turn's I/O has been handled (setImmediate). A crowd on one product
 * then costs one round trip per turn instead of one per request.
 *
 * Never stale: a caller only ever joins a read that has not started yet, so the answer it gets
 * was read after it asked, and sees every change committed before that. A read already on its
 * way is never shared: a caller arriving then waits for the next one. Every sharer gets the same
 * value (freeze it if it is an object) or the same rejection.
 */
export function shareWithinTurn<K, V>(read: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const notStarted = new Map<K, Promise<V>>();
  return (key) => {
    let shared = notStarted.get(key);
    if (!shared) {
      shared = new Promise<V>((resolve, reject) => {
        setImmediate(() => {
          notStarted.delete(key);
          // Through a promise, so that a read throwing at once still rejects every sharer.
          Promise.resolve(key).then(read).then(resolve, reject);
        });
      });
      notStarted.set(key, shared);
    }
    return shared;
  };
}
