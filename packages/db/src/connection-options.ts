import type { PoolConfig } from 'mariadb';

export interface ConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  connectionLimit: number;
}

const DEFAULT_POOL_SIZE = 20;

/** Reads `mysql://user:password@host:port/database?connection_limit=N`. */
export function parseDatabaseUrl(databaseUrl: string): ConnectionOptions {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error('DATABASE_URL names no database (expected mysql://user@host:port/database).');
  const limit = url.searchParams.get('connection_limit');
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
    connectionLimit: limit ? Math.max(1, Number(limit)) : DEFAULT_POOL_SIZE,
  };
}

/**
 * Pool settings shared by the service and the migration runner. Timeouts are short on purpose: a
 * store that is down must turn into a 503 within a couple of seconds, not a hanging request.
 */
export function toPoolConfig(options: ConnectionOptions): PoolConfig {
  return {
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionLimit: options.connectionLimit,
    // Connections open on demand up to the limit and close after 5 idle minutes, instead of every
    // pool holding `connectionLimit` connections from the start (the driver's default): N api
    // and worker replicas would otherwise pin N × limit server threads while idle.
    minimumIdle: Math.min(2, options.connectionLimit),
    idleTimeout: 300,
    connectTimeout: 2_000,
    acquireTimeout: 5_000, // also bounds how long a request waits when MySQL is down,
    // Lock waits are retried by runTransaction; 5 s bounds one attempt instead of InnoDB's 50 s.
    initSql: ['SET SESSION innodb_lock_wait_timeout = 5', "SET time_zone = '+00:00'"],
  };
}
