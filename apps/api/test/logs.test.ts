import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logFormatOf } from '@flash-sale/logger';
import { serviceEntry } from '@flash-sale/testing';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// Logs people can read: pretty on a terminal (or with LOG_FORMAT=pretty), JSON anywhere else
// and with LOG_FORMAT=json; one line per request at info.

const apiMain = serviceEntry.api;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('the log format', () => {
  it('is pretty for a person at a terminal and JSON anywhere else, unless LOG_FORMAT says', () => {
    expect(logFormatOf(undefined, true)).toBe('pretty');
    expect(logFormatOf(undefined, false)).toBe('json');
    expect(logFormatOf('json', true)).toBe('json');
    expect(logFormatOf('pretty', false)).toBe('pretty');
  });

  it('with LOG_FORMAT=pretty the api prints readable lines, not JSON', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', apiMain], {
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: t.config.databaseUrl, REDIS_URL: t.config.redisUrl, REDIS_KEY_PREFIX: t.config.redisKeyPrefix, HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'pretty' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await vi.waitFor(() => expect(output).toContain('Server listening'), { timeout: 20_000, interval: 50 });
      const line = output.split('\n').find((each) => each.includes('Server listening'))!;
      expect(line.trimStart().startsWith('{')).toBe(false);
      expect(line).toMatch(/INFO/);
      expect(line).toContain('(api)');
    } finally {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    }
  }, 30_000);
});

describe('request logging', () => {
  it('writes one line per request at info, with method, URL, status, time and the request id', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const requestId = `one-line-${Date.now()}`;
    const response = await request(t.url, 'GET', `/api/products/${productId}`, { headers: { 'x-request-id': requestId } });
    expect(response.status).toBe(200);
    await vi.waitFor(() => expect(t.logs.some((line) => line.reqId === requestId)).toBe(true), { timeout: 5_000, interval: 20 });
    const lines = t.logs.filter((line) => line.reqId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'request completed', req: { method: 'GET', url: `/api/products/${productId}` }, res: { statusCode: 200 } });
    expect(typeof lines[0]!.responseTime).toBe('number');
  });
});
