import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EnvSchema, type Env } from './env-schema.ts';
import { convertIntegerStrings } from './strict-convert.ts';

/** Used when PAYMENT_WEBHOOK_SECRET is unset outside production; the processes warn about it. */
export const DEVELOPMENT_WEBHOOK_SECRET = 'whsec_development_only_do_not_use_in_production';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Config {
  readonly nodeEnv: Env['NODE_ENV'];
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly host: string;
  readonly port: number;
  readonly holdTtlSeconds: number;
  readonly maxQtyPerHold: number;
  readonly orderPaymentTimeoutSeconds: number;
  readonly webhookOrphanAfterSeconds: number;
  readonly paymentWebhookSecret: string;
  readonly paymentWebhookSecretIsDefault: boolean;
  readonly productCacheTtlSeconds: number;
  readonly workerConcurrency: number;
  readonly sweepIntervalSeconds: number;
  readonly workerMetricsPort: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: Env['LOG_LEVEL'];
  /** Undefined: the logger decides (pretty on a terminal, JSON elsewhere). */
  readonly logFormat: Env['LOG_FORMAT'];
}

/**
 * The config of a command that reads only the variables `names` (the migration runner reads the
 * database's address and how to log; `flash-sale queues` reads Redis's): those are validated as
 * loadConfig does, every other variable is ignored and takes its default, which such a command
 * never uses. So a bad or missing value elsewhere (a short webhook secret, say) does not stop it.
 */
export function loadConfigOf(names: readonly (keyof Env)[], source: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(Object.fromEntries(names.map((name) => [name, source[name]])));
}

/** What a value should have been: the choices of a variable that takes one of a few words, else TypeBox's words. */
function expectation(error: { schema: TSchema; message: string }): string {
  const choices = (error.schema.anyOf as { const?: unknown }[] | undefined)?.map((choice) => choice.const);
  if (choices?.length && choices.every((choice) => typeof choice === 'string')) return `expected one of ${choices.join(', ')}`;
  return `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`;
}

/**
 * Parses the environment once, at start. Unset variables take the contract's defaults; a bad
 * value throws a ConfigError whose message is one line naming the variable.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(EnvSchema.properties)) {
    const value = source[name];
    // An empty variable (`PORT=`) means "not set", as in most shells' .env handling.
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const env = convertIntegerStrings(EnvSchema, Value.Default(EnvSchema, raw));
  const firstError = Value.Errors(EnvSchema, env).First();
  if (firstError) {
    const name = firstError.path.replace(/^\//, '') || 'environment';
    throw invalid(name, expectation(firstError), raw[name]);
  }
  const valid = env as Env;
  const databaseProblem = problemWithDatabaseUrl(valid.DATABASE_URL);
  if (databaseProblem) throw invalid('DATABASE_URL', databaseProblem, valid.DATABASE_URL);
  if (valid.NODE_ENV === 'production' && !valid.PAYMENT_WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration: PAYMENT_WEBHOOK_SECRET is required when NODE_ENV=production.');
  }
  return Object.freeze({
    nodeEnv: valid.NODE_ENV,
    databaseUrl: valid.DATABASE_URL,
    redisUrl: valid.REDIS_URL,
    redisKeyPrefix: valid.REDIS_KEY_PREFIX,
    host: valid.HOST,
    port: valid.PORT,
    holdTtlSeconds: valid.HOLD_TTL_SECONDS,
    maxQtyPerHold: valid.MAX_QTY_PER_HOLD,
    orderPaymentTimeoutSeconds: valid.ORDER_PAYMENT_TIMEOUT_SECONDS,
    webhookOrphanAfterSeconds: valid.WEBHOOK_ORPHAN_AFTER_SECONDS,
    paymentWebhookSecret: valid.PAYMENT_WEBHOOK_SECRET ?? DEVELOPMENT_WEBHOOK_SECRET,
    paymentWebhookSecretIsDefault: !valid.PAYMENT_WEBHOOK_SECRET,
    productCacheTtlSeconds: valid.PRODUCT_CACHE_TTL_SECONDS,
    workerConcurrency: valid.WORKER_CONCURRENCY,
    sweepIntervalSeconds: valid.SWEEP_INTERVAL_SECONDS,
    workerMetricsPort: valid.WORKER_METRICS_PORT,
    bodyLimitBytes: valid.BODY_LIMIT_BYTES,
    logLevel: valid.LOG_LEVEL,
    logFormat: valid.LOG_FORMAT,
  });
}

/** The error naming the variable and what it holds, its secrets masked: it goes to the logs. */
function invalid(name: string, problem: string, value: unknown): ConfigError {
  const got =
    value === undefined ? 'unset' : name === 'PAYMENT_WEBHOOK_SECRET' ? `a value of ${String(value).length} characters` : `'${withoutPassword(String(value))}'`;
  return new ConfigError(`Invalid configuration: ${name}: ${problem} (got ${got}).`);
}

/**
 * A URL's password, as in mysql://user:password@host or ?password=…, replaced by ***, even in
 * a malformed URL.
 */
function withoutPassword(value: string): string {
  const masked = value.replace(/([?&]password=)[^&]*/gi, '$1***');
  const at = masked.lastIndexOf('@');
  if (at < 0) return masked;
  const scheme = /^[a-z][a-z0-9+.-]*:\/*/i.exec(masked)?.[0] ?? '';
  const userinfo = masked.slice(scheme.length, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? masked : `${scheme}${userinfo.slice(0, colon)}:***${masked.slice(at)}`;
}

/** What the pool would choke on, checked here so that it is one line at start, not an outage. */
function problemWithDatabaseUrl(databaseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return 'must be a URL: mysql://user:password@host:port/database';
  }
  if (!url.hostname) return 'names no host (expected mysql://user:password@host:port/database)';
  let database: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return "has a '%' that is not a %XX escape (in the user, the password or the database)";
  }
  if (!database) return 'names no database (expected mysql://user:password@host:port/database)';
  const limit = url.searchParams.get('connection_limit');
  if (limit !== null && !/^[1-9]\d{0,3}$/.test(limit)) return `connection_limit must be a whole number from 1 to 9999, not '${limit}'`;
  return undefined;
}
