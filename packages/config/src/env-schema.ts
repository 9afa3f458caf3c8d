import { Type, type Static } from '@sinclair/typebox';

// Every variable the processes read, with the contract's defaults: a fresh machine needs no .env.
// `.env.example` lists the same variables; packages/config/test keeps the two in step.
const PositiveInt = (defaultValue: number, description: string) =>
  Type.Integer({ minimum: 1, default: defaultValue, description });
// A duration becomes a Node timer or a DATETIME: past 2^31 - 1 ms a timer fires at once, over
// and over (and a TTL of centuries is no DATETIME), so none may exceed that (about 24 days).
const Seconds = (defaultValue: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 2_147_483, default: defaultValue, description: `${description} (at most 2147483, about 24 days)` });

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  DATABASE_URL: Type.String({
    pattern: '^(mysql|mariadb)://',
    default: 'mysql://root@127.0.0.1:3306/flash_sale',
    description: 'mysql://user:password@host:port/database[?connection_limit=N]',
  }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  REDIS_KEY_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_.:-]{1,64}$',
    default: 'flash-sale',
    description: 'namespace of every cache key and queue in Redis',
  }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOLD_TTL_SECONDS: Seconds(120, 'how long a hold keeps its stock'),
  MAX_QTY_PER_HOLD: PositiveInt(10, 'largest qty one hold may take'),
  ORDER_PAYMENT_TIMEOUT_SECONDS: Seconds(900, 'a pending order is cancelled after this'),
  WEBHOOK_ORPHAN_AFTER_SECONDS: Seconds(3600, 'a payment event whose order never appears is orphaned after this'),
  PAYMENT_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  PRODUCT_CACHE_TTL_SECONDS: Seconds(60, 'lifetime of a product snapshot in Redis'),
  WORKER_CONCURRENCY: PositiveInt(16, 'jobs one worker process runs at once'),
  WORKER_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'where a worker serves /metrics and /health/live (0: a free port)' }),
  SWEEP_INTERVAL_SECONDS: Seconds(5, 'how often the sweeper looks for due holds, orders and events without a job'),
  // A webhook's raw body is kept whole in payment_events.payload (MEDIUMTEXT, 16 MiB), and its
  // INSERT must fit MariaDB's default max_allowed_packet (16 MiB) with the rest of the row.
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, maximum: 8_388_608, default: 65536, description: 'largest request body accepted (at most 8 MiB)' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Optional(
    Type.Union([Type.Literal('json'), Type.Literal('pretty')], {
      description: 'json: one JSON object a line; pretty: for people. Unset: pretty on a terminal, json anywhere else',
    }),
  ),
});

export type Env = Static<typeof EnvSchema>;
