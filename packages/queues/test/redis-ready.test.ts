import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startSilentRedis, testRedisUrl, type SilentRedis } from '@flash-sale/testing';
import { createFailFastRedis, redisReady } from '../src/index.ts';

const connections: Redis[] = [];
const silentServers: SilentRedis[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  await Promise.all(silentServers.splice(0).map((server) => server.close()));
});

function connect(url: string): Redis {
  const connection = createFailFastRedis(url, { retryStrategy: () => null });
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

/** A Redis that accepts connections and never says a word: one that hangs. */
async function silentRedisUrl(): Promise<string> {
  const server = await startSilentRedis({ handshake: false });
  silentServers.push(server);
  return server.url;
}

describe('redisReady', () => {
  it('resolves once a fresh connection is ready, and at once for one that already is', async () => {
    const connection = connect(testRedisUrl());
    expect(connection.status).not.toBe('ready');
    await redisReady(connection, 5_000, 'test Redis');
    expect(connection.status).toBe('ready');
    await redisReady(connection, 1, 'test Redis');
    expect(await connection.ping()).toBe('PONG');
  });

  it("rejects with the connection's own error when nothing listens", async () => {
    const connection = connect('redis://127.0.0.1:9');
    await expect(redisReady(connection, 5_000, 'test Redis')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects with the deadline when the server accepts and never answers', async () => {
    const connection = connect(await silentRedisUrl());
    await expect(redisReady(connection, 300, 'test Redis')).rejects.toThrow('test Redis: no answer within 300 ms');
  });
});
