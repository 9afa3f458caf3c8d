import { DriverAdapterError, type SqlDriverAdapter, type SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/** Called once when MySQL stops accepting connections, and once when it accepts them again. */
export type AvailabilityListener = (change: { available: false; error: unknown } | { available: true }) => void;

// While connects are refused, one call per interval tries for real (and may wait the pool's
// acquire timeout); every other call fails at once instead of queueing for that long.
const PROBE_INTERVAL_MS = 1_000;
const POOL_TIMEOUT = 45028;
const CONNECT_FAILURES = new Set([
  2002, 2003, // cannot connect (socket, TCP)
  45012, // driver: connection timeout
]);
// Only the codes of a connect that failed (a reset or broken pipe happens to a connection that
// was open, which says nothing about new connections): a subset of UNREACHABLE_SYSTEM_CODES.
const CONNECT_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether `error` says no connection could be opened: a refused or timed-out connect, or the
 * pool giving up with a connect failure as its cause. A pool timeout without such a cause is
 * overload (every connection busy), which says nothing about MySQL being down.
 */
export function isConnectFailure(error: unknown): boolean {
  const driver = error instanceof DriverAdapterError ? error.cause : undefined;
  if (driver?.kind === 'mysql') {
    return CONNECT_FAILURES.has(driver.code) || (driver.code === POOL_TIMEOUT && driver.cause !== undefined);
  }
  const raw = error as { errno?: unknown; code?: unknown; cause?: unknown } | null;
  if (raw === null || typeof raw !== 'object') return false;
  if (typeof raw.code === 'string' && CONNECT_SYSTEM_CODES.has(raw.code)) return true;
  if (typeof raw.errno === 'number' && CONNECT_FAILURES.has(raw.errno)) return true;
  return raw.errno === POOL_TIMEOUT && raw.cause !== undefined && raw.cause !== null;
}

// The adapter's error kinds that the driver raises without hearing from the server.
const NOT_FROM_THE_SERVER = new Set(['GenericJs', 'DatabaseNotReachable', 'ConnectionClosed', 'TlsConnectionError', 'SocketTimeout', 'TransactionAlreadyClosed']);

/**
 * Whether `error` was sent by the server (a duplicate key, a lock wait), which proves it was
 * reached. A dropped connection or another driver-side failure proves nothing either way.
 */
function isServerError(error: unknown): boolean {
  if (!(error instanceof DriverAdapterError)) return false;
  const driver = error.cause;
  // 2000-2999 are client-library errors, 45000 and up the mariadb driver's own.
  if (driver.kind === 'mysql') return driver.code < 2000 || (driver.code >= 3000 && driver.code < 45000);
  return !NOT_FROM_THE_SERVER.has(driver.kind);
}

class ConnectCircuit {
  private downSince: number | undefined;
  private lastAttemptAt = 0;
  private probing = false;

  constructor(private readonly listener: AvailabilityListener) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    const isProbe = this.downSince !== undefined;
    if (isProbe) {
      if (this.probing || Date.now() - this.lastAttemptAt < PROBE_INTERVAL_MS) throw this.refusal();
      this.probing = true;
      this.lastAttemptAt = Date.now();
    }
    try {
      const result = await call();
      this.reached();
      return result;
    } catch (error) {
      if (isConnectFailure(error)) this.refused(error);
      else if (isServerError(error)) this.reached();
      throw error;
    } finally {
      if (isProbe) this.probing = false;
    }
  }

  private reached(): void {
    if (this.downSince === undefined) return;
    this.downSince = undefined;
    this.listener({ available: true });
  }

  private refused(error: unknown): void {
    this.lastAttemptAt = Date.now();
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.listener({ available: false, error });
  }

  /** Shaped like the driver's own "cannot connect", so it maps to a 503 like the real one. */
  private refusal(): DriverAdapterError {
    const seconds = Math.round((Date.now() - this.downSince!) / 1000);
    return new DriverAdapterError({
      kind: 'mysql',
      code: 2003,
      message: `MySQL has refused connections for ${seconds} s; failing fast until a probe gets through`,
      state: 'HY000',
    });
  }
}

const GUARDED_METHODS = new Set<PropertyKey>(['queryRaw', 'executeRaw', 'executeScript', 'startTransaction']);

/** The adapter with its connection-taking methods run inside the circuit; the rest untouched. */
function guard(adapter: SqlDriverAdapter, circuit: ConnectCircuit): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // Bound to the real adapter: it keeps its state in private fields.
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (!GUARDED_METHODS.has(property)) return bound;
      return (...args: unknown[]) => circuit.run(() => bound(...args) as Promise<unknown>);
    },
  });
}

/**
 * Wraps a driver adapter factory so that, once MySQL refuses connections, calls fail within
 * milliseconds instead of each waiting out the pool's acquire timeout, and a crowd of requests
 * does not pile up behind a database that is down. One call per second probes; the first that
 * reaches the server closes the circuit. Queries inside an open transaction are not affected.
 */
export function failFastWhenUnreachable(factory: SqlDriverAdapterFactory, listener: AvailabilityListener): SqlDriverAdapterFactory {
  const circuit = new ConnectCircuit(listener);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => guard(await circuit.run(() => factory.connect()), circuit),
  };
}
