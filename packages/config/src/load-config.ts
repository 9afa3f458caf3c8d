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
    const got = raw[name] === undefined ? 'unset' : `'${String(raw[name])}'`;
    throw new ConfigError(`Invalid configuration: ${name}: ${firstError.message.charAt(0).toLowerCase()}${firstError.message.slice(1)} (got ${got}).`);
  }
  const valid = env as Env;
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
