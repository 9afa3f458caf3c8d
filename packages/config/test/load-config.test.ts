import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_WEBHOOK_SECRET, loadConfig, loadConfigOf } from '../src/index.ts';
import { EnvSchema } from '../src/env-schema.ts';

describe('loadConfig', () => {
  it("uses the contract's defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config).toEqual({
      nodeEnv: 'development',
      databaseUrl: 'mysql://root@127.0.0.1:3306/flash_sale',
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'flash-sale',
      host: '0.0.0.0',
      port: 3000,
      holdTtlSeconds: 120,
      maxQtyPerHold: 10,
      orderPaymentTimeoutSeconds: 900,
      webhookOrphanAfterSeconds: 3600,
      paymentWebhookSecret: DEVELOPMENT_WEBHOOK_SECRET,
      paymentWebhookSecretIsDefault: true,
      productCacheTtlSeconds: 60,
      workerConcurrency: 16,
      sweepIntervalSeconds: 5,
      workerMetricsPort: 9464,
      bodyLimitBytes: 65536,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('converts numbers and takes the values given', () => {
    const config = loadConfig({ PORT: '8080', HOLD_TTL_SECONDS: '1', PAYMENT_WEBHOOK_SECRET: 'whsec_0123456789abcdef', LOG_LEVEL: 'debug' });
    expect(config.port).toBe(8080);
    expect(config.holdTtlSeconds).toBe(1);
    expect(config.paymentWebhookSecret).toBe('whsec_0123456789abcdef');
    expect(config.paymentWebhookSecretIsDefault).toBe(false);
    expect(config.logLevel).toBe('debug');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', PAYMENT_WEBHOOK_SECRET: '' }).port).toBe(3000);
  });

  it.each([
    ['HOLD_TTL_SECONDS', '0'],
    ['HOLD_TTL_SECONDS', 'abc'],
    ['HOLD_TTL_SECONDS', '1.5'],
    ['PORT', '70000'],
    ['MAX_QTY_PER_HOLD', '-1'],
    ['BODY_LIMIT_BYTES', '8388609'],
    ['DATABASE_URL', 'postgres://localhost/x'],
    ['REDIS_URL', 'localhost:6379'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    // Past a Node timer's range: the sweeper would fire back to back, a TTL overflow DATETIME.
    ['SWEEP_INTERVAL_SECONDS', '3000000'],
    ['HOLD_TTL_SECONDS', '400000000000'],
    // What the pool would take for a MySQL that never answers.
    ['DATABASE_URL', 'mysql://root@127.0.0.1:3306'],
    ['DATABASE_URL', 'mysql://root@127.0.0.1:3306/shop?connection_limit=abc'],
    ['DATABASE_URL', 'mysql://root@[bad/x'],
  ])('refuses %s=%s with one line naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${name}\\b`));
    expect(message).toContain(`'${value}'`);
    expect(message).not.toContain('\n');
  });

  it.each([
    ['LOG_FORMAT', 'xml', 'json, pretty'],
    ['LOG_LEVEL', 'loud', 'fatal, error, warn, info, debug, trace, silent'],
    ['NODE_ENV', 'staging', 'development, production, test'],
  ])('names the choices of %s when %s is none of them', (name, value, choices) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`Invalid configuration: ${name}: expected one of ${choices} (got '${value}')`);
  });

  it('never writes a secret into the error: the webhook secret by its length, a URL without its password', () => {
    const messageOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const secret = messageOf({ PAYMENT_WEBHOOK_SECRET: 'whsec_abc123' });
    expect(secret).toMatch(/^Invalid configuration: PAYMENT_WEBHOOK_SECRET: .*\(got a value of 12 characters\)\.$/);
    expect(secret).not.toContain('abc123');
    const database = messageOf({ DATABASE_URL: 'mysql2://app:S3cretPassw0rd@db/shop' });
    expect(database).toContain("'mysql2://app:***@db/shop'");
    expect(database).not.toContain('S3cret');
    const noDatabase = messageOf({ DATABASE_URL: 'mysql://app:S3cretPassw0rd@db:3306' });
    expect(noDatabase).toMatch(/^Invalid configuration: DATABASE_URL: names no database/);
    expect(noDatabase).not.toContain('S3cret');
    expect(messageOf({ REDIS_URL: 'redis//:S3cretRedisPass@cache:6379' })).toMatch(/^Invalid configuration: REDIS_URL: /);
    expect(messageOf({ REDIS_URL: 'rediss:/:S3cretRedisPass@cache:6379' })).not.toContain('S3cret');
    expect(messageOf({ REDIS_URL: 'http://cache?password=S3cretRedisPass&db=0' })).toContain("'http://cache?password=***&db=0'");
    expect(messageOf({ DATABASE_URL: 'mysql://app:S3cret%zz@db/shop' })).toMatch(/^Invalid configuration: DATABASE_URL: has a '%' that is not a %XX escape/);
  });

  it('requires PAYMENT_WEBHOOK_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PAYMENT_WEBHOOK_SECRET is required when NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'whsec_0123456789abcdef' }).nodeEnv).toBe('production');
  });

  it('.env.example lists exactly the variables the schema reads, with their defaults', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = new Map(
      example
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect([...listed.keys()].sort()).toEqual(Object.keys(EnvSchema.properties).sort());
    for (const [name, property] of Object.entries(EnvSchema.properties)) {
      const fallback = (property as { default?: unknown }).default;
      expect(listed.get(name), name).toBe(fallback === undefined ? '' : String(fallback));
    }
  });
});

describe('loadConfigOf: a command that reads only some variables', () => {
  it('validates the variables it names, as loadConfig does', () => {
    expect(() => loadConfigOf(['DATABASE_URL'], { DATABASE_URL: 'postgres://x' })).toThrow(/^Invalid configuration: DATABASE_URL/);
    expect(loadConfigOf(['DATABASE_URL'], { DATABASE_URL: 'mysql://root@db:3306/shop' }).databaseUrl).toBe('mysql://root@db:3306/shop');
  });

  it('ignores every other variable: a short webhook secret in production, a bad TTL', () => {
    const env = { DATABASE_URL: 'mysql://root@db:3306/shop', NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'short', HOLD_TTL_SECONDS: '0' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(loadConfigOf(['DATABASE_URL', 'LOG_LEVEL', 'LOG_FORMAT'], env).databaseUrl).toBe('mysql://root@db:3306/shop');
  });
});
