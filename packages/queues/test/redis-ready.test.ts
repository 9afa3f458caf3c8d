import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { testRedisUrl } from '@flash-sale/testing';
import { createFailFastRedis, redisReady } from '../src/index.ts';

const connections: Redis[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  await Promise.all(
    servers.splice(0).map((server) => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets.splice(0)) socket.destroy();
      return closed;
    }),
  );
});

function connect(url: string): Redis {
  const connection = createFailFastRedis(url, { retryStrategy: () => null });
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

/** A TCP server that accepts connections and never says a word: a Redis that hangs. */
async function silentServer(): Promise<number> {
  const server = createServer((socket) => void sockets.push(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
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
    const connection = connect(`redis://127.0.0.1:${await silentServer()}`);
    await expect(redisReady(connection, 300, 'test Redis')).rejects.toThrow('test Redis: no answer within 300 ms');
  });
});
