import { UNREACHABLE_SYSTEM_CODES } from '@flash-sale/errors';
import { DriverAdapterError, type SqlDriverAdapter, type SqlDriverAdapterFactory, type Transaction } from '@prisma/driver-adapter-utils';

/**
 * Called once when MySQL stops accepting connections or stops answering (`why`), and once when
 * it answers again.
 */
export type AvailabilityListener = (change: { available: false; why: 'refused' | 'no answer'; error: unknown } | { available: true }) => void;

// While connects are refused, one call per interval tries for real (and may wait the pool's
// acquire timeout); every other call fails at once instead of queueing for that long.
const PROBE_INTERVAL_MS = 1_000;
/**
 * How long a statement may go without an answer, while MySQL answers nothing else either, before
 * MySQL counts as gone. A MySQL that hangs (a partition, a stuck failover) keeps its connections
 * open and answers nothing, and nothing in the driver or in Prisma ends such a wait: a request
 * would hang for as long as MySQL does. Longer than a statement of ours waits on purpose: up to
 * 5 s for a pooled connection and 5 s for a row lock (connection-options.ts), so a busy pool and
 * contention still end as their own errors. And a statement that is slow while MySQL keeps
 * answering others (answers within the last quarter of this) is left to run, up to
 * MAX_STATEMENT_MS: that is load, not an outage.
 */
export const NO_ANSWER_MS = 12_000;
const MAX_STATEMENT_MS = 60_000;
const LOST_CONNECTION = 2013;
const POOL_TIMEOUT = 45028;
const CONNECT_FAILURES = new Set([
  2002, 2003, // cannot connect (socket, TCP)
  45012, // driver: connection timeout
]);
// Only the codes of a connect that failed: the unreachable ones but a reset or a broken pipe,
// which happen to a connection that was open and say nothing about new connections.
const CONNECT_SYSTEM_CODES = new Set([...UNREACHABLE_SYSTEM_CODES].filter((code) => code !== 'ECONNRESET' && code !== 'EPIPE'));

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
  private down: { since: number; why: 'refused' | 'no answer' } | undefined;
  private lastAttemptAt = 0;
  private lastAnswerAt = 0;
  private probing = false;

  constructor(
    private readonly listener: AvailabilityListener,
    readonly noAnswerMs: number,
  ) {}

  get isDown(): boolean {
    return this.down !== undefined;
  }

  async run<T>(call: () => Promise<T>, releaseLate?: (value: T) => unknown): Promise<T> {
    const isProbe = this.down !== undefined;
    if (isProbe) {
      if (this.probing || Date.now() - this.lastAttemptAt < PROBE_INTERVAL_MS) throw this.refusal();
      this.probing = true;
      this.lastAttemptAt = Date.now();
    }
    try {
      return await this.answered(call(), releaseLate);
    } finally {
      if (isProbe) this.probing = false;
    }
  }

  /**
   * `call`'s outcome, which says whether MySQL is reachable. Rejects once it has gone noAnswerMs
   * without an answer while MySQL answered nothing else lately (or after MAX_STATEMENT_MS, however
   * lively MySQL is). What it gave up on is left to finish by itself; if that turns out to be a
   * connection or a transaction, `releaseLate` hands it back.
   */
  async answered<T>(call: Promise<T>, releaseLate?: (value: T) => unknown): Promise<T> {
    const sentAt = Date.now();
    const lively = this.noAnswerMs / 4;
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      const check = () => {
        const now = Date.now();
        if (now - this.lastAnswerAt < lively && now - sentAt < MAX_STATEMENT_MS) {
          timer = setTimeout(check, lively);
          return;
        }
        gaveUp = true;
        reject(noAnswer(now - sentAt, now - this.lastAnswerAt < lively));
      };
      timer = setTimeout(check, this.noAnswerMs);
    });
    call.then(
      (value) => {
        if (gaveUp) void Promise.resolve(releaseLate?.(value)).catch(() => undefined);
      },
      () => undefined,
    );
    try {
      const result = await Promise.race([call, silence]);
      this.reached();
      return result;
    } catch (error) {
      if (isNoAnswer(error)) {
        if (!(error as NoAnswerError).whileLively) this.wentDown(error, 'no answer');
      } else if (isConnectFailure(error)) this.wentDown(error, 'refused');
      else if (isServerError(error)) this.reached();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private reached(): void {
    this.lastAnswerAt = Date.now();
    if (this.down === undefined) return;
    this.down = undefined;
    this.listener({ available: true });
  }

  private wentDown(error: unknown, why: 'refused' | 'no answer'): void {
    this.lastAttemptAt = Date.now();
    if (this.down !== undefined) return;
    this.down = { since: Date.now(), why };
    this.listener({ available: false, why, error });
  }

  /** Shaped like the driver's own "cannot connect", so it maps to a 503 like the real one. */
  private refusal(): DriverAdapterError {
    const seconds = Math.round((Date.now() - this.down!.since) / 1000);
    const what = this.down!.why === 'refused' ? 'refused connections' : 'not answered';
    return new DriverAdapterError({
      kind: 'mysql',
      code: 2003,
      message: `MySQL has ${what} for ${seconds} s; failing fast until a probe gets through`,
      state: 'HY000',
    });
  }
}

type NoAnswerError = DriverAdapterError & { whileLively: boolean };

/**
 * Shaped like the driver's "lost connection during query": a 503, like MySQL going away.
 * `whileLively`: MySQL was answering other statements meanwhile, so it does not count as gone.
 */
function noAnswer(ms: number, whileLively: boolean): NoAnswerError {
  const error = new DriverAdapterError({ kind: 'mysql', code: LOST_CONNECTION, message: `MySQL did not answer within ${ms} ms`, state: 'HY000' });
  return Object.assign(error, { whileLively });
}

function isNoAnswer(error: unknown): boolean {
  return error instanceof DriverAdapterError && error.cause.kind === 'mysql' && error.cause.code === LOST_CONNECTION && error.cause.message.startsWith('MySQL did not answer');
}

const GUARDED_METHODS = new Set<PropertyKey>(['queryRaw', 'executeRaw', 'executeScript', 'startTransaction']);

/**
 * The adapter with its connection-taking methods run inside the circuit, and the transactions it
 * opens given the same deadline for each answer; the rest untouched.
 */
function guard(adapter: SqlDriverAdapter, circuit: ConnectCircuit): SqlDriverAdapter {
  return withMethods(adapter, (method, call) => {
    if (!GUARDED_METHODS.has(method)) return call;
    if (method !== 'startTransaction') return (...args) => circuit.run(() => call(...args) as Promise<unknown>);
    // A BEGIN answered after it was given up on holds a pooled connection: rolled back, it is freed.
    return async (...args) => guardTransaction(await circuit.run(() => call(...args) as Promise<Transaction>, (late) => late.rollback()), circuit);
  });
}

/**
 * An open transaction's statements and COMMIT fail once noAnswerMs late, as a 503; they do not
 * fail fast (the transaction already has its connection). Its ROLLBACK, on the way out of a
 * failure, never holds the caller longer than that, and not at all while MySQL counts as gone:
 * it goes on by itself and hands the connection back when it ends.
 */
function guardTransaction(transaction: Transaction, circuit: ConnectCircuit): Transaction {
  return withMethods(transaction, (method, call) => {
    if (method === 'queryRaw' || method === 'executeRaw' || method === 'commit') return (...args) => circuit.answered(call(...args) as Promise<unknown>);
    if (method !== 'rollback') return call;
    return async (...args) => {
      const rollback = call(...args) as Promise<unknown>;
      rollback.catch(() => undefined);
      if (circuit.isDown) return;
      await circuit.answered(rollback).catch((error: unknown) => {
        if (!isNoAnswer(error)) throw error;
      });
    };
  });
}

type Method = (...args: unknown[]) => unknown;

/**
 * `target` with each method as `wrap` makes it (called on the real object: it keeps private
 * fields). Each method is wrapped once, on its first use: a transaction's statements call the same
 * two or three methods over and over, on the hot path.
 */
function withMethods<T extends object>(target: T, wrap: (name: PropertyKey, call: Method) => Method): T {
  const wrapped = new Map<PropertyKey, Method>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let method = wrapped.get(property);
      if (!method) wrapped.set(property, (method = wrap(property, (value as Method).bind(object))));
      return method;
    },
  });
}

/**
 * Wraps a driver adapter factory so that, once MySQL refuses connections or leaves a statement
 * unanswered for `noAnswerMs`, calls fail within milliseconds instead of each waiting out the
 * pool's acquire timeout (or, for a MySQL that hangs, for as long as it hangs), and a crowd of
 * requests does not pile up behind a database that is gone. One call per second probes; the first
 * that reaches the server closes the circuit. Statements inside an open transaction do not fail
 * fast, but every statement, inside one or not, fails once `noAnswerMs` late.
 */
export function failFastWhenUnreachable(factory: SqlDriverAdapterFactory, listener: AvailabilityListener, noAnswerMs = NO_ANSWER_MS): SqlDriverAdapterFactory {
  const circuit = new ConnectCircuit(listener, noAnswerMs);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => guard((await circuit.run(() => factory.connect(), (late) => late.dispose())) as SqlDriverAdapter, circuit),
  };
}
