import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * From now on nothing is passed on in either direction, and the connections stay open: the
   * store hangs, as far as clients can tell.
   */
  stall(): void;
  /** Bytes clients sent since stall(): above 0 once a command is waiting for an answer. */
  bytesSinceStall(): number;
  /** Drops every connection and refuses new ones: the store is gone. */
  cut(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `host:port`, to take a store away in the middle of a command. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  let bytesSinceStall = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect({ host, port });
    track(client);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (stalled) bytesSinceStall += chunk.length;
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!stalled) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as { port: number }).port,
    stall() {
      stalled = true;
    },
    bytesSinceStall: () => bytesSinceStall,
    async cut() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
